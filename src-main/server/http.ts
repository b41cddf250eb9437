/**
 * The HTTP side of `nos serve`: `POST /api/<method>` with a JSON body runs one NosApi method
 * through the shared dispatcher (same validation as IPC) and answers with the contract's
 * envelope; `GET` serves the built renderer. Every request must name us in Host; API calls and
 * the page itself need the launch token, static assets (public code, no data) do not.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { ApiEnvelope, ErrorCode, NosErrorData } from '../contract';
import type { Dispatch } from '../api/dispatch';
import { hostAllowed, originAllowed, securityHeaders, tokenMatches, tokenOf } from './security';
import { indexWithToken, readStatic } from './static';

/** Largest JSON body accepted (configs and import requests are a few kB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpAppOptions {
  dispatch: Dispatch;
  token: string;
  /** Built renderer folder (out/renderer); null serves the API only. */
  staticDir: string | null;
  /** The bound port, for the Host / Origin checks and the CSP; read when a request arrives. */
  port: () => number;
}

const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  BAD_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  CANCELLED: 409,
  BACKEND_UNAVAILABLE: 503,
  OUT_OF_MEMORY: 507,
  RUN_FAILED: 500,
  STORAGE: 500,
  INTERNAL: 500,
};

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly data: NosErrorData,
  ) {
    super(data.message);
  }
}

function fail(status: number, message: string, hint?: string): HttpFailure {
  return new HttpFailure(status, { code: 'BAD_INPUT', message, hint });
}

export function createRequestHandler(opts: HttpAppOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res, opts).catch((err: unknown) => {
      const failure =
        err instanceof HttpFailure
          ? err
          : new HttpFailure(500, { code: 'INTERNAL', message: String(err) });
      sendJson(res, failure.status, { ok: false, error: failure.data }, opts.port());
    });
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  opts: HttpAppOptions,
): Promise<void> {
  const port = opts.port();
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
  if (!hostAllowed(req, port)) {
    throw fail(
      421,
      `Unexpected Host header ${JSON.stringify(req.headers.host ?? '')}.`,
      `Open http://127.0.0.1:${port}/ instead.`,
    );
  }

  if (url.pathname.startsWith('/api/')) {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      throw fail(405, `${req.method} ${url.pathname}: API methods are called with POST.`);
    }
    if (!originAllowed(req, port)) throw fail(403, 'Cross-origin API calls are refused.');
    if (!tokenMatches(opts.token, tokenOf(req, url))) {
      throw fail(
        401,
        'Missing or wrong access token.',
        'Open the exact address `nos serve` printed.',
      );
    }
    const payload = await readJson(req);
    const envelope = await opts.dispatch(url.pathname.slice('/api/'.length), payload);
    const status = envelope.ok ? 200 : STATUS_OF[envelope.error.code];
    sendJson(res, status, envelope, port);
    return;
  }

  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    throw fail(405, `${req.method} is not allowed here.`);
  }
  servePage(req, res, url, opts);
}

function servePage(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  opts: HttpAppOptions,
): void {
  const port = opts.port();
  if (!opts.staticDir) return sendText(res, 404, 'This server has no renderer to serve.', port);
  const isIndex = url.pathname === '/' || url.pathname === '/index.html';

  if (isIndex) {
    if (!tokenMatches(opts.token, tokenOf(req, url))) {
      return sendText(
        res,
        401,
        'NOS Studio: open the exact address `nos serve` printed (it ends in ?token=...).',
        port,
      );
    }
    const file = readStatic(opts.staticDir, '/index.html');
    if (!file) {
      return sendText(
        res,
        503,
        `The renderer is not built (no ${join(opts.staticDir, 'index.html')}). Run \`npx electron-vite build\`.`,
        port,
      );
    }
    const html = indexWithToken(file.body.toString('utf8'), opts.token);
    return send(res, 200, Buffer.from(html, 'utf8'), file.type, port, req.method === 'HEAD');
  }

  const file = readStatic(opts.staticDir, url.pathname);
  if (!file) return sendText(res, 404, `Not found: ${url.pathname}`, port);
  send(res, 200, file.body, file.type, port, req.method === 'HEAD');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw fail(413, `Request body over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  if (!type.toLowerCase().startsWith('application/json')) {
    throw fail(
      415,
      `Expected a JSON body (content-type application/json); received ${JSON.stringify(type)}.`,
    );
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw fail(400, `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: Buffer,
  type: string,
  port: number,
  headOnly = false,
): void {
  res.writeHead(status, {
    ...securityHeaders(port),
    'Content-Type': type,
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  });
  res.end(headOnly ? undefined : body);
}

function sendJson(
  res: ServerResponse,
  status: number,
  envelope: ApiEnvelope<unknown>,
  port: number,
): void {
  send(
    res,
    status,
    Buffer.from(JSON.stringify(envelope), 'utf8'),
    'application/json; charset=utf-8',
    port,
  );
}

function sendText(res: ServerResponse, status: number, text: string, port: number): void {
  send(res, status, Buffer.from(text + '\n', 'utf8'), 'text/plain; charset=utf-8', port);
}
