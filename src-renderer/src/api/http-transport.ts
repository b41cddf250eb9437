/**
 * The API over HTTP + WebSocket, for a page served by `nos serve`: every method is
 * `POST /api/<method>` with the payload as JSON body and the per-launch token in the
 * `x-nos-token` header; answers come in the contract's envelope `{ ok, value | error }`; run
 * events arrive on the WebSocket `/api/events`.
 */
import {
  API_METHODS,
  EVENTS_PATH,
  TOKEN_HEADER,
  httpRoute,
  type ApiMethod,
  type RunEvent,
} from '@contract';
import type { NosClient } from './types';
import { toNosError } from './errors';

export interface HttpTransportOptions {
  /** Origin of the server, e.g. http://127.0.0.1:5123 (the page's own origin by default). */
  origin: string;
  token: string | null;
  fetchImpl?: typeof fetch;
  socketImpl?: typeof WebSocket;
}

export function createHttpClient(opts: HttpTransportOptions): NosClient {
  const doFetch = opts.fetchImpl ?? globalThis.fetch.bind(globalThis);
  const call = async (method: ApiMethod, payload: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await doFetch(`${opts.origin}${httpRoute(method)}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(opts.token ? { [TOKEN_HEADER]: opts.token } : {}),
        },
        body: JSON.stringify(payload ?? null),
      });
    } catch (err) {
      throw toNosError({
        code: 'STORAGE',
        message: `Cannot reach the NOS server at ${opts.origin}: ${String(err)}`,
        hint: 'Check that `nos serve` is still running, then reload the page.',
      });
    }
    const body: unknown = await res.json().catch(() => null);
    return unwrapEnvelope(body, res.status, method);
  };

  const client: Record<string, unknown> = { onRunEvent: createEventSocket(opts).subscribe };
  for (const method of API_METHODS) client[method] = (payload?: unknown) => call(method, payload);
  return client as unknown as NosClient;
}

/** Reads the contract's envelope; anything else is reported with the HTTP status it came with. */
export function unwrapEnvelope(body: unknown, status: number, method: string): unknown {
  if (typeof body === 'object' && body !== null && 'ok' in body) {
    if (body.ok === true && 'value' in body) return body.value;
    if (body.ok === false && 'error' in body) throw toNosError(body.error);
  }
  if (status === 401 || status === 403) {
    throw toNosError({
      code: 'BAD_INPUT',
      message: `The NOS server refused ${method}: missing or wrong access token (HTTP ${status}).`,
      hint: 'Open the exact address `nos serve` printed (it carries ?token=...).',
    });
  }
  throw toNosError({
    code: 'INTERNAL',
    message: `Unexpected answer to ${method} (HTTP ${status}).`,
    hint: 'The page and the server may be from different versions: restart `nos serve` and reload.',
  });
}

/** One shared WebSocket, opened on the first subscriber and reconnected with back-off. */
function createEventSocket(opts: HttpTransportOptions) {
  const Socket = opts.socketImpl ?? globalThis.WebSocket;
  const listeners = new Set<(e: RunEvent) => void>();
  let socket: WebSocket | null = null;
  let retryMs = 500;
  const query = opts.token ? `?token=${encodeURIComponent(opts.token)}` : '';
  const url = `${opts.origin.replace(/^http/, 'ws')}${EVENTS_PATH}${query}`;

  const open = (): void => {
    socket = new Socket(url);
    socket.onopen = () => (retryMs = 500);
    socket.onmessage = (msg) => {
      let event: RunEvent;
      try {
        event = JSON.parse(String(msg.data)) as RunEvent;
      } catch {
        return; // not an event (a keep-alive, say): nothing to deliver
      }
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
