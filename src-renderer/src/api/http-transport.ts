/**
 * The API over HTTP + WebSocket, for a page served by `nos serve`: every method is
 * `POST /api/<method>` with the payload as JSON body and the per-launch token in a header;
 * run events arrive on the WebSocket `/api/events`.
 */
import type { RunEvent } from '@contract';
import type { NosClient, NosMethod } from './types';
import { toNosError } from './errors';

export interface HttpTransportOptions {
  /** Origin of the server, e.g. http://127.0.0.1:5123 (the page's own origin by default). */
  origin: string;
  token: string | null;
  fetchImpl?: typeof fetch;
}

export const TOKEN_HEADER = 'x-nos-token';

export function createHttpClient(opts: HttpTransportOptions): NosClient {
  const doFetch = opts.fetchImpl ?? window.fetch.bind(window);
  const call = async (method: string, payload: unknown): Promise<unknown> => {
    const res = await doFetch(`${opts.origin}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(opts.token ? { [TOKEN_HEADER]: opts.token } : {}) },
      body: JSON.stringify(payload ?? {}),
    });
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) throw toNosError(body ?? new Error(`HTTP ${res.status} ${res.statusText} from /api/${method}`));
    return unwrapResult(body);
  };
  const events = createEventSocket(opts.origin, opts.token);
  return new Proxy({} as NosClient, {
    get(_target, name) {
      if (name === 'onRunEvent') return events.subscribe;
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (payload?: unknown) => call(name as NosMethod, payload);
    },
  });
}

/** The server answers `{ result }`; a bare value is accepted too. */
export function unwrapResult(body: unknown): unknown {
  if (typeof body === 'object' && body !== null && 'result' in body) return body.result;
  return body;
}

/** One shared WebSocket, opened on the first subscriber and reconnected with back-off. */
function createEventSocket(origin: string, token: string | null) {
  const listeners = new Set<(e: RunEvent) => void>();
  let socket: WebSocket | null = null;
  let retryMs = 500;
  const url = `${origin.replace(/^http/, 'ws')}/api/events${token ? `?token=${encodeURIComponent(token)}` : ''}`;

  const open = (): void => {
    socket = new WebSocket(url);
    socket.onopen = () => (retryMs = 500);
    socket.onmessage = (msg) => {
      const event = JSON.parse(String(msg.data)) as RunEvent;
      for (const l of listeners) l(event);
    };
    socket.onclose = () => {
      socket = null;
      if (listeners.size > 0) setTimeout(open, (retryMs = Math.min(retryMs * 2, 10_000)));
    };
  };

  const subscribe = (listener: (e: RunEvent) => void): (() => void) => {
    listeners.add(listener);
    if (!socket) open();
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) socket?.close();
    };
  };
  return { subscribe };
}
