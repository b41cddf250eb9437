/**
 * The preload script: the only bridge between the sandboxed page and the main process. It
 * exposes `window.nos`, an object with exactly the contract's API methods, the desktop dialog
 * methods and `onRunEvent`, and nothing else (no ipcRenderer, no Node). Each method sends its
 * payload on its own channel; the main process validates it. A failure arrives as the
 * contract's envelope and is rethrown as plain NosErrorData, which crosses the context bridge
 * with its code and hint intact (an Error would keep only its message).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
// Only the zod-free name table is imported for values; everything else is types, erased at build.
import { API_METHODS, DESKTOP_METHODS, RUN_EVENT_CHANNEL, ipcChannel } from '../contract/channels';
import type { ApiEnvelope, NosBridge, RunEvent, RunEventListener } from '../contract';

async function call(channel: string, payload: unknown): Promise<unknown> {
  const envelope = (await ipcRenderer.invoke(channel, payload)) as ApiEnvelope<unknown>;
  if (envelope.ok) return envelope.value;
  throw envelope.error;
}

function onRunEvent(listener: RunEventListener): () => void {
  const forward = (_e: IpcRendererEvent, event: RunEvent): void => listener(event);
  ipcRenderer.on(RUN_EVENT_CHANNEL, forward);
  return () => {
    ipcRenderer.removeListener(RUN_EVENT_CHANNEL, forward);
  };
}

/** Builds the bridge object; exported for the tests, which check its exact member list. */
export function buildBridge(): NosBridge {
  const bridge: Record<string, unknown> = { onRunEvent };
  for (const method of [...API_METHODS, ...DESKTOP_METHODS]) {
    bridge[method] = (payload?: unknown) => call(ipcChannel(method), payload);
  }
  return bridge as unknown as NosBridge;
}

contextBridge.exposeInMainWorld('nos', buildBridge());
