/**
 * The one API client of the renderer. At start-up it picks the transport: the preload's
 * `window.nos` inside Electron, otherwise HTTP + WebSocket to the origin that served the page.
 * Every call's failure is normalised to a NosError, so views handle one error shape. Views call
 * `api()` and never learn which transport they have.
 */
import type { NosBridge } from '@contract';
import type { NosClient } from './types';
import { createHttpClient } from './http-transport';
import { toNosError } from './errors';
import { readToken } from './token';

declare global {
  interface Window {
    /** Exposed by the Electron preload script (context bridge). */
    nos?: NosBridge;
  }
}

export type TransportKind = 'ipc' | 'http';

let client: NosClient | null = null;
let transport: TransportKind = 'http';

export function createClient(): { client: NosClient; transport: TransportKind } {
  if (window.nos) return { client: withNosErrors(window.nos), transport: 'ipc' };
  const http = createHttpClient({ origin: window.location.origin, token: readToken() });
  return { client: http, transport: 'http' };
}

/** The client for this page, created on first use. */
export function api(): NosClient {
  if (!client) ({ client, transport } = createClient());
  return client;
}

export function transportKind(): TransportKind {
  api();
  return transport;
}

/** True when native open/save dialogs exist (Electron); the browser types paths instead. */
export function hasNativeDialogs(): boolean {
  const c = api();
  return typeof c.openDialog === 'function' && typeof c.saveContent === 'function';
}

/** Wraps the preload's methods so their rejections become NosErrors. */
function withNosErrors(raw: NosBridge): NosClient {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'onRunEvent' || typeof value !== 'function') {
      wrapped[name] = value;
      continue;
    }
    const fn = value as (p?: unknown) => Promise<unknown>;
    wrapped[name] = async (payload?: unknown) => {
      try {
        return await fn(payload);
      } catch (err) {
        throw toNosError(err);
      }
    };
  }
  return wrapped as unknown as NosClient;
}
