/**
 * The IPC side of the NosApi: one `ipcMain.handle` per method of the contract (channel
 * `nos:<method>`), each checking who is calling before the shared dispatcher validates the
 * payload. Only the top frame of our own window, showing our own page, may call: a call from an
 * embedded or navigated frame is answered with a BAD_INPUT envelope and nothing runs.
 * Results travel as the contract's envelope so a NosError keeps its code and hint across IPC.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import {
  API_METHODS,
  DESKTOP_METHODS,
  RUN_EVENT_CHANNEL,
  ipcChannel,
  type ApiEnvelope,
  type RunEvent,
} from '../contract';
import type { Dispatch } from '../api/dispatch';

/** Decides whether an IPC call comes from the app's own frame. */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/** Every channel the main process answers: the API methods, then the desktop ones. */
export function ipcChannels(): string[] {
  return [...API_METHODS, ...DESKTOP_METHODS].map(ipcChannel);
}

const REFUSED: ApiEnvelope<never> = {
  ok: false,
  error: {
    code: 'BAD_INPUT',
    message: 'IPC call refused: it did not come from the NOS Studio window.',
    hint: 'Only the app page itself may call the API.',
  },
};

/**
 * Registers a handler per channel; returns a function that removes them all (window closed,
 * tests).
 */
export function registerIpcHandlers(
  ipc: IpcMain,
  dispatch: Dispatch,
  isTrusted: SenderCheck,
): () => void {
  const methods = [...API_METHODS, ...DESKTOP_METHODS];
  for (const method of methods) {
    ipc.handle(ipcChannel(method), async (event, payload: unknown) => {
      if (!isTrusted(event)) return REFUSED;
      return dispatch(method, payload);
    });
  }
  return () => {
    for (const method of methods) ipc.removeHandler(ipcChannel(method));
  };
}

/** Something that can receive pushed events: a window's webContents. */
export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, event: RunEvent): void;
}

/** Pushes a RunEvent to the window, unless it is gone. */
export function pushRunEvent(target: EventTarget, event: RunEvent): void {
  if (!target.isDestroyed()) target.send(RUN_EVENT_CHANNEL, event);
}
