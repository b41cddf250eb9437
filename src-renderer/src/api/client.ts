/**
 * The one API client of the renderer. At start-up it picks the transport: the preload's
 * `window.nos` inside Electron, otherwise HTTP + WebSocket to the origin that served the page.
 * Every call's failure is normalised to a NosError, so views handle one error shape.
 */
import type { NosClient } from './types';
import { createHttpClient } from './http-transport';
import { toNosError } from './errors';
import { readToken } from './token';

declare global {
  interface Window {
    /** Exposed by the Electron preload script (context bridge). */
    nos?: NosClient;
  }
}

export type TransportKind = 'ipc' | 'http';

let client: NosClient | null = null;
let transport: TransportKind = 'http';

export function createClient(): { client: NosClient; transport: TransportKind } {
  if (window.nos) return { client: withNosErrors(window.nos), transport: 'ipc' };
  return { client: createHttpClient({ origin: window.location.origin, token: readToken() }), transport: 'http' };
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

/** Wraps the preload's methods so their rejections become NosErrors. */
function withNosErrors(raw: NosClient): NosClient {
  return new Proxy(raw, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (name === 'onRunEvent' || typeof value !== 'function') return value;
      return async (payload?: unknown) => {
        try {
          return await (value as (p?: unknown) => Promise<unknown>).call(target, payload);
        } catch (err) {
          throw toNosError(err);
        }
      };
    },
  });
}
