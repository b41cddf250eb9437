/**
 * RunEvents to browsers: a WebSocket endpoint at `/api/events` that pushes every event of the
 * service as one JSON text frame. The upgrade is refused (401/403, no socket) without the launch
 * token, from a foreign Host or Origin, or on any other path. Dead sockets are found by ping.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENTS_PATH, type RunEventSource } from '../contract';
import { hostAllowed, originAllowed, tokenMatches, tokenOf } from './security';

const PING_MS = 30_000;

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Attaches the event socket to `server`; returns a function that closes every socket. */
export function attachEventSocket(
  server: Server,
  source: RunEventSource,
  token: string,
  port: () => number,
): () => Promise<void> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const alive = new WeakMap<WebSocket, boolean>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port()}`);
    if (url.pathname !== EVENTS_PATH) return refuse(socket, 404, 'Not Found');
    if (!hostAllowed(req, port()) || !originAllowed(req, port())) {
      return refuse(socket, 403, 'Forbidden');
    }
    if (!tokenMatches(token, tokenOf(req, url))) return refuse(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
      // The socket only pushes; anything the page sends is ignored.
      ws.on('message', () => undefined);
    });
  });

  const unsubscribe = source.onRunEvent((event) => {
    const text = JSON.stringify(event);
    for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, PING_MS);
  pinger.unref();

  return async () => {
    clearInterval(pinger);
    unsubscribe();
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((done) => wss.close(() => done()));
  };
}
