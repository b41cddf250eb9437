/**
 * `nos serve`: the NosApi over HTTP + WebSocket for headless lab machines and browser tests,
 * bound to 127.0.0.1 only and guarded by a random per-launch token. It serves the same built
 * renderer the desktop window shows; the page reads the token from its address (`?token=`) or
 * from the meta tag the server writes into index.html.
 *
 *   const server = await startServer({ port: 0, dataDir, staticDir: 'out/renderer' });
 *   console.log(`Open ${server.url}`);   // http://127.0.0.1:PORT/?token=...
 *   await server.close();
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { NosError } from '../contract';
import { createDispatch } from '../api/dispatch';
import type { NosService } from '../api/service';
import { attachEventSocket } from './events';
import { createRequestHandler } from './http';
import { newToken } from './security';

/** The only address `nos serve` listens on: the API must never be reachable from the network. */
export const LOOPBACK = '127.0.0.1';

export interface ServerOptions {
  /** TCP port; 0 picks a free one. */
  port?: number;
  dataDir: string;
  /** Only 127.0.0.1 is accepted; the option exists so a caller states it. */
  host?: string;
  /** Built renderer (out/renderer). Default: the repository's out/renderer; null: API only. */
  staticDir?: string | null;
  /** A fixed token (tests); default: 32 random bytes per launch. */
  token?: string;
  /** An open service to serve; default: one opened on dataDir and closed with the server. */
  service?: NosService;
}

export interface ServerHandle {
  /** Address to open, token included: http://127.0.0.1:PORT/?token=... */
  url: string;
  origin: string;
  port: number;
  token: string;
  service: NosService;
  close(): Promise<void>;
}

/** The built renderer next to this source tree or bundle, if it exists. */
export function defaultStaticDir(): string | null {
  const candidates = [
    resolve(__dirname, '../../out/renderer'),
    resolve(__dirname, '../renderer'),
    resolve(process.cwd(), 'out/renderer'),
  ];
  return candidates.find((dir) => existsSync(resolve(dir, 'index.html'))) ?? null;
}

function checkOptions(opts: ServerOptions): void {
  if (opts.host !== undefined && opts.host !== LOOPBACK) {
    throw new NosError(
      'BAD_INPUT',
      `nos serve listens only on ${LOOPBACK}; received host ${JSON.stringify(opts.host)}.`,
      'To reach it from another machine, use an SSH tunnel: ssh -L PORT:127.0.0.1:PORT host.',
    );
  }
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new NosError(
      'BAD_INPUT',
      `Port must be an integer 0-65535; received ${port}.`,
      'Pass --port 0 for any free port.',
    );
  }
  if (opts.token !== undefined && !/^[A-Za-z0-9_-]{16,128}$/.test(opts.token)) {
    throw new NosError('BAD_INPUT', 'A fixed token must be 16-128 characters of [A-Za-z0-9_-].');
  }
}

export async function startServer(opts: ServerOptions): Promise<ServerHandle> {
  checkOptions(opts);
  const token = opts.token ?? newToken();
  const staticDir = opts.staticDir === undefined ? defaultStaticDir() : opts.staticDir;

  // The API: an open service, or one of our own on the data directory.
  const owned = opts.service === undefined;
  const service =
    opts.service ??
    (await (
      await import('../api/service')
    ).createNosService({
      dataDir: opts.dataDir,
      transport: 'http',
      nativeDialogs: false,
      logName: 'serve',
    }));

  // HTTP for calls and pages, WebSocket for events, on one loopback port.
  let port = 0;
  const server = createServer(
    createRequestHandler({
      dispatch: createDispatch(service.api),
      token,
      staticDir,
      port: () => port,
    }),
  );
  const closeEvents = attachEventSocket(server, service, token, () => port);
  try {
    await new Promise<void>((done, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, LOOPBACK, () => done());
    });
  } catch (err) {
    await closeEvents();
    if (owned) await service.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new NosError(
      code === 'EADDRINUSE' ? 'CONFLICT' : 'STORAGE',
      `Cannot listen on ${LOOPBACK}:${opts.port ?? 0}: ${(err as Error).message}`,
      code === 'EADDRINUSE'
        ? 'Another program uses this port: pass --port 0 or another port.'
        : undefined,
    );
  }
  port = (server.address() as AddressInfo).port;
  const origin = `http://${LOOPBACK}:${port}`;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await closeEvents();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      if (owned) await service.close();
    })();
    return closing;
  };

  return { url: `${origin}/?token=${token}`, origin, port, token, service, close };
}
