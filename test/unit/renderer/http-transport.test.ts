/**
 * The renderer's HTTP transport against the real `nos serve` (API only, empty data directory):
 * the same client the browser page uses, with Node's fetch and the `ws` WebSocket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NosError } from '@contract';
import { startServer, type ServerHandle } from '../../../src-main/server';
import { createHttpClient, unwrapEnvelope } from '../../../src-renderer/src/api/http-transport';
import { toNosError } from '../../../src-renderer/src/api/errors';

describe('createHttpClient against nos serve', () => {
  let server: ServerHandle;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'nos-renderer-http-'));
    server = await startServer({ port: 0, dataDir, host: '127.0.0.1', staticDir: null });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const client = (token: string | null) =>
    createHttpClient({
      origin: server.origin,
      token,
      socketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
    });

  it('calls methods with the token and unwraps the result', async () => {
    const about = await client(server.token).about();
    expect(about.transport).toBe('http');
    const runs = await client(server.token).listRuns({ limit: 10 });
    expect(runs).toMatchObject({ total: 0, runs: [] });
  });

  it('rejects a wrong token with a NosError that says how to fix it', async () => {
    const err = await client('wrong-token-wrong-token')
      .about()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NosError);
    expect((err as NosError).hint).toMatch(/nos serve/);
  });

  it('keeps the code and hint of an error the server reports', async () => {
    const err = await client(server.token)
      .getRun({ runId: 4242 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NosError);
    expect((err as NosError).code).toBe('NOT_FOUND');
  });

  it('turns an unreachable server into an error naming the address', async () => {
    const dead = createHttpClient({ origin: 'http://127.0.0.1:9', token: 'x' });
    const err = (await dead.about().catch((e: unknown) => e)) as NosError;
    expect(err.message).toContain('127.0.0.1:9');
    expect(err.hint).toMatch(/nos serve/);
  });
});

describe('unwrapEnvelope and toNosError', () => {
  it('returns the value of an ok envelope and throws the error of a failed one', () => {
    expect(unwrapEnvelope({ ok: true, value: 3 }, 200, 'm')).toBe(3);
    expect(() =>
      unwrapEnvelope({ ok: false, error: { code: 'CONFLICT', message: 'busy' } }, 409, 'm'),
    ).toThrow('busy');
  });

  it.each([
    [null, 500, 'INTERNAL'],
    ['<html>', 502, 'INTERNAL'],
    [{ unexpected: true }, 401, 'BAD_INPUT'],
  ])('body=%j status=%s gives code %s', (body, status, code) => {
    expect(() => unwrapEnvelope(body, status, 'about')).toThrow(expect.objectContaining({ code }));
  });

  it("strips Electron's IPC prefix and reads a serialised NosError inside a message", () => {
    const plain = toNosError(
      new Error("Error invoking remote method 'nos:getRun': Error: run 5 not found"),
    );
    expect(plain.message).toBe('run 5 not found');
    const embedded = toNosError(
      new Error(
        `Error invoking remote method 'nos:getRun': ${JSON.stringify({ code: 'NOT_FOUND', message: 'run 5', hint: 'list runs' })}`,
      ),
    );
    expect(embedded).toMatchObject({ code: 'NOT_FOUND', hint: 'list runs' });
  });
});
