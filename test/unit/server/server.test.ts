import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  EVENTS_PATH,
  NosError,
  SEARCH_PRESETS,
  TOKEN_HEADER,
  type RunEvent,
} from '../../../src-main/contract';
import type { NosService } from '../../../src-main/api/service';
import { startServer, type ServerHandle } from '../../../src-main/server';
import { tempDataDir, testService } from '../api/helpers';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request (fetch cannot set Host). */
function raw(
  port: number,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

function writeStaticSite(root: string): string {
  const dir = join(root, 'renderer');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><title>t</title></head><body></body></html>',
  );
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'app.css'), 'body{}');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(root, 'secret.txt'), 'outside the static folder');
  return dir;
}

describe('startServer', () => {
  const data = tempDataDir('nos-server-');
  let service: NosService;
  let server: ServerHandle;
  let port = 0;
  const api = (method: string, body: unknown, headers: Record<string, string> = {}) =>
    raw(port, `/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: server.token, ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    service = await testService(join(data.dir, 'data'));
    server = await startServer({
      port: 0,
      dataDir: join(data.dir, 'data'),
      host: '127.0.0.1',
      staticDir: writeStaticSite(data.dir),
      service,
    });
    port = server.port;
  });
  afterAll(async () => {
    await server.close();
    await service.close();
    data.cleanup();
  });

  describe('binding', () => {
    it('listens on 127.0.0.1 and prints an address with the token', () => {
      expect(server.origin).toBe(`http://127.0.0.1:${port}`);
      expect(server.url).toBe(`http://127.0.0.1:${port}/?token=${server.token}`);
      expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    });

    it('is not reachable on other interfaces', async () => {
      const external = Object.values(networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal);
      if (!external) return; // no other interface on this machine: nothing to reach
      const error = await new Promise<string>((resolve) => {
        const socket = connect({ host: external.address, port }, () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(error).toBe('ECONNREFUSED');
    });

    it.each([['0.0.0.0'], ['localhost'], ['::']])(
      'host=%s is refused with BAD_INPUT',
      async (host) => {
        await expect(
          startServer({ port: 0, dataDir: data.dir, host, service }),
        ).rejects.toMatchObject({ code: 'BAD_INPUT' });
      },
    );

    it('draws a new token per launch', async () => {
      const other = await startServer({ port: 0, dataDir: data.dir, staticDir: null, service });
      expect(other.token).not.toBe(server.token);
      await other.close();
    });

    it('reports a taken port as CONFLICT', async () => {
      const err = await startServer({ port, dataDir: data.dir, service }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NosError);
      expect((err as NosError).code).toBe('CONFLICT');
    });
  });

  describe('API', () => {
    it('answers a call with the token in the header', async () => {
      const res = await api('listRuns', {});
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body)).toEqual({ ok: true, value: { total: 0, offset: 0, runs: [] } });
    });

    it('answers a call with the token in the query', async () => {
      const res = await raw(port, `/api/listDatasets?token=${server.token}`, { method: 'POST' });
      expect(JSON.parse(res.body)).toEqual({ ok: true, value: [] });
    });

    it.each([
      ['no token', {}],
      ['a wrong token', { [TOKEN_HEADER]: 'f'.repeat(64) }],
      ['a token prefix', { [TOKEN_HEADER]: 'x' }],
    ])('refuses a call with %s (401)', async (_what, headers) => {
      const res = await raw(port, '/api/listRuns', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body).ok).toBe(false);
    });

    it('refuses a foreign Host (DNS rebinding) with 421', async () => {
      const res = await api('listRuns', {}, { host: `evil.example:${port}` });
      expect(res.status).toBe(421);
    });

    it('refuses a foreign Origin with 403', async () => {
      const res = await api('listRuns', {}, { origin: 'http://evil.example' });
      expect(res.status).toBe(403);
    });

    it('validates payloads like IPC does (400 BAD_INPUT naming the field)', async () => {
      const res = await api('getRun', { runId: 'one' });
      expect(res.status).toBe(400);
      const env = JSON.parse(res.body);
      expect(env.error.code).toBe('BAD_INPUT');
      expect(env.error.message).toMatch(/runId/);
    });

    it.each([
      ['GET', 405],
      ['PUT', 405],
    ])('method=%s on an API route is %d', async (method, status) => {
      const res = await raw(port, '/api/listRuns', {
        method,
        headers: { [TOKEN_HEADER]: server.token },
      });
      expect(res.status).toBe(status);
    });

    it('refuses a body that is not JSON', async () => {
      const res = await raw(port, '/api/listRuns', {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: server.token },
        body: '{',
      });
      expect(res.status).toBe(400);
      const form = await raw(port, '/api/listRuns', {
        method: 'POST',
        headers: { 'content-type': 'text/plain', [TOKEN_HEADER]: server.token },
        body: '{}',
      });
      expect(form.status).toBe(415);
    });

    it('maps NOT_FOUND to 404 with the error data', async () => {
      const res = await api('getRun', { runId: 77 });
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body).error.code).toBe('NOT_FOUND');
    });

    it('does not offer the desktop dialogs', async () => {
      const res = await api('openDialog', { kind: 'folder' });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error.message).toMatch(/Unknown API method/);
    });
  });

  describe('renderer', () => {
    it('serves index.html only with the token, and writes the token into it', async () => {
      expect((await raw(port, '/')).status).toBe(401);
      const res = await raw(port, `/?token=${server.token}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain(`<meta name="nos-token" content="${server.token}" />`);
    });

    it('sends a strict CSP and no-sniff on every response', async () => {
      const res = await raw(port, `/?token=${server.token}`);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      expect(csp).toContain(`ws://127.0.0.1:${port}`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
    });

    it.each([
      ['/assets/app.js', 'text/javascript; charset=utf-8'],
      ['/assets/app.css', 'text/css; charset=utf-8'],
      ['/favicon.svg', 'image/svg+xml'],
    ])('serves %s as %s', async (path, type) => {
      const res = await raw(port, path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(type);
    });

    it.each([
      ['/../secret.txt'],
      ['/%2e%2e/secret.txt'],
      ['/assets/..%2f..%2fsecret.txt'],
      ['/nope.js'],
      ['/%E0%A4%A'],
    ])('path=%s is 404 (nothing outside the folder)', async (path) => {
      const res = await raw(port, path);
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('outside the static folder');
    });
  });

  describe('events', () => {
    const open = (query: string, headers: Record<string, string> = {}) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}${EVENTS_PATH}${query}`, { headers });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });

    it.each([
      ['no token', '', /401/],
      ['a wrong token', '?token=abc', /401/],
    ])('refuses a socket with %s', async (_what, query, status) => {
      await expect(open(query)).rejects.toThrow(status);
    });

    it('refuses a socket from a foreign Origin', async () => {
      await expect(
        open(`?token=${server.token}`, { origin: 'http://evil.example' }),
      ).rejects.toThrow(/403/);
    });

    it('pushes the events of a run to a connected page', async () => {
      const ws = await open(`?token=${server.token}`);
      const received: RunEvent[] = [];
      ws.on('message', (m) => received.push(JSON.parse(String(m)) as RunEvent));

      // A dataset and a run, through the HTTP API like the page does it.
      const detected = JSON.parse((await api('detectDatasets', null)).body).value;
      const sample = detected.find((d: { label: string }) => d.label.includes('bundled'));
      const imported = JSON.parse((await api('importDataset', sample.request)).body);
      expect(imported.ok).toBe(true);
      const started = JSON.parse(
        (await api('startSearch', { dataset: imported.value.id, config: SEARCH_PRESETS.smoke }))
          .body,
      );
      expect(started.ok).toBe(true);
      const runId = started.value.runId as number;
      // Wait on the socket itself: the run's final status must reach the page.
      const deadline = Date.now() + 60_000;
      const finished = () =>
        received.some(
          (e) =>
            e.type === 'status' && e.runId === runId && ['completed', 'failed'].includes(e.status),
        );
      while (!finished() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      ws.close();

      const mine = received.filter(
        (e) => (e.type === 'progress' ? e.progress.runId : e.runId) === runId,
      );
      expect(mine.some((e) => e.type === 'progress')).toBe(true);
      expect(mine.some((e) => e.type === 'epoch')).toBe(true);
      expect(
        mine.filter((e) => e.type === 'status').map((e) => e.type === 'status' && e.status),
      ).toContain('completed');
    });
  });

  it('stops listening on close', async () => {
    const other = await startServer({ port: 0, dataDir: data.dir, staticDir: null, service });
    await other.close();
    await expect(raw(other.port, '/api/listRuns', { method: 'POST' })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
