import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  API_METHODS,
  DESKTOP_METHODS,
  RUN_EVENT_CHANNEL,
  SEARCH_PRESETS,
  ipcChannel,
  type ApiEnvelope,
  type NosBridge,
  type RunEvent,
} from '../../../src-main/contract';
import { startDesktop, type DesktopHandle } from '../../../src-main/main/desktop';
import { ipcChannels } from '../../../src-main/main/ipc';
import { buildBridge } from '../../../src-main/preload';
import * as electron from '../../stubs/electron';
import { GENOTYPE_JOB, tempDataDir } from '../api/helpers';

const { BrowserWindow, app, contextBridge, dialog, ipcMain, ipcRenderer, session, stub } = electron;
const OUT = '/opt/nos-studio/out';
/** What the preload script exposed when it ran (on import, above). */
const exposedAtLoad = contextBridge.exposed.get('nos') as Record<string, unknown> | undefined;
const job = GENOTYPE_JOB;
const queue = { jobModules: { search: job, teacher: job, evaluation: job }, stopTimeoutMs: 10_000 };

/** Calls a channel as a given frame would. */
function invokeAs(frame: electron.IpcMainInvokeEvent, method: string, payload: unknown) {
  const handler = ipcMain.handlers.get(ipcChannel(method as never));
  if (!handler) throw new Error(`no handler for ${method}`);
  return handler(frame, payload) as Promise<ApiEnvelope<unknown>>;
}

describe('startDesktop', () => {
  const data = tempDataDir('nos-desktop-');
  let handle: DesktopHandle;
  let launches = 0;

  beforeEach(async () => {
    stub.reset();
    stub.userDataDir = data.dir;
    // A fresh data folder per test: nothing one test stores leaks into the next.
    const dataDir = join(data.dir, `data-${launches++}`);
    const started = await startDesktop({ dataDir, outDir: OUT, queue });
    if (!started) throw new Error('expected the single-instance lock');
    handle = started;
  });
  afterEach(async () => {
    await handle?.shutdown();
  });
  afterAll(() => data.cleanup());

  describe('window', () => {
    it('is one window with context isolation and the sandbox on, Node off', () => {
      expect(BrowserWindow.created).toHaveLength(1);
      const prefs = BrowserWindow.created[0].options.webPreferences!;
      expect(prefs.contextIsolation).toBe(true);
      expect(prefs.sandbox).toBe(true);
      expect(prefs.nodeIntegration).toBe(false);
      expect(prefs.webviewTag).toBe(false);
      expect(prefs.webSecurity).toBe(true);
      expect(prefs.preload).toBe(join(OUT, 'preload', 'index.js'));
      expect(BrowserWindow.created[0].loaded).toEqual({
        file: join(OUT, 'renderer', 'index.html'),
      });
    });

    it('adds a strict CSP to every response', () => {
      const listener = session.defaultSession.headersListener!;
      let headers: Record<string, string[]> | undefined;
      listener(
        { url: 'file:///x', resourceType: 'mainFrame', responseHeaders: {} },
        (r) => (headers = r.responseHeaders),
      );
      const csp = headers!['Content-Security-Policy'][0];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'none'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    });

    it('denies new windows, permissions and navigation away from the app', () => {
      const wc = BrowserWindow.created[0].webContents;
      expect(wc.windowOpenHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
      let prevented = 0;
      const navigate = (url: string) =>
        wc.emit('will-navigate', { preventDefault: () => prevented++ }, url);
      navigate('https://example.com/');
      navigate(`file://${join(OUT, 'renderer', 'index.html')}`);
      expect(prevented).toBe(1);
      let granted: boolean | null = null;
      session.defaultSession.permissionHandler!(wc, 'media', (ok: boolean) => (granted = ok));
      expect(granted).toBe(false);
    });

    it('keeps a single instance: a second launch quits and focuses the first window', async () => {
      app.emit('second-instance');
      expect(BrowserWindow.created[0].focused).toBe(true);
      app.singleInstanceLock = false;
      expect(await startDesktop({ dataDir: join(data.dir, 'data'), outDir: OUT })).toBeNull();
      expect(app.quitCalled).toBe(true);
      expect(BrowserWindow.created).toHaveLength(1);
    });

    it('fills the About panel with versions and the compute backend', () => {
      const credits = String(app.aboutPanelOptions!.credits);
      expect(credits).toContain(`Node ${process.versions.node}`);
      expect(credits).toMatch(/TensorFlow\.js 4\./);
      expect(credits).toContain('Compute backend: wasm');
      expect(app.aboutPanelOptions!.applicationName).toBe('NOS Studio');
    });
  });

  describe('IPC', () => {
    it('registers exactly one handler per API and desktop method', () => {
      const expected = [...API_METHODS, ...DESKTOP_METHODS].map(ipcChannel).sort();
      expect([...ipcMain.handlers.keys()].sort()).toEqual(expected);
      expect(ipcChannels().sort()).toEqual(expected);
    });

    it.each(API_METHODS.map((m) => [m]))(
      'method=%s rejects a bad payload with BAD_INPUT',
      async (method) => {
        const env = await invokeAs(stub.rendererEvent(), method, { notAField: 1 });
        expect(env.ok).toBe(false);
        if (!env.ok) expect(env.error.code).toBe('BAD_INPUT');
      },
    );

    it('answers the app frame', async () => {
      const env = await invokeAs(stub.rendererEvent(), 'listRuns', {});
      expect(env).toEqual({ ok: true, value: { total: 0, offset: 0, runs: [] } });
    });

    it.each([
      ['another webContents', () => ({ sender: new electron.WebContents(), senderFrame: null })],
      [
        'an iframe of the window',
        () => {
          const own = stub.rendererEvent();
          return {
            sender: own.sender,
            senderFrame: { ...own.sender.mainFrame, parent: own.sender.mainFrame },
          };
        },
      ],
      [
        'the window navigated elsewhere',
        () => {
          const own = stub.rendererEvent();
          return {
            sender: own.sender,
            senderFrame: { ...own.sender.mainFrame, url: 'https://evil.example/' },
          };
        },
      ],
    ])('refuses a call from %s', async (_what, frame) => {
      const env = await invokeAs(frame(), 'listRuns', {});
      expect(env.ok).toBe(false);
      if (!env.ok) expect(env.error.message).toMatch(/did not come from the NOS Studio window/);
    });

    it('pushes run events to the window', async () => {
      const wc = BrowserWindow.created[0].webContents;
      const sample = (await handle.service.api.detectDatasets()).find((d) =>
        d.label.includes('bundled'),
      )!;
      const dataset = await handle.service.api.importDataset(sample.request);
      const env = await invokeAs(stub.rendererEvent(), 'startSearch', {
        dataset: dataset.id,
        config: SEARCH_PRESETS.smoke,
      });
      expect(env.ok).toBe(true);
      const runId = (env as { value: { runId: number } }).value.runId;
      const pushed = () =>
        wc.sent.filter((s) => s.channel === RUN_EVENT_CHANNEL).map((s) => s.args[0] as RunEvent);
      const done = () =>
        pushed().some((e) => e.type === 'status' && e.runId === runId && e.status === 'completed');
      for (let i = 0; i < 600 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(done()).toBe(true);
      expect(pushed().some((e) => e.type === 'progress')).toBe(true);
    });
  });

  describe('native dialogs', () => {
    it('opens a folder dialog and returns the pick, or null when cancelled', async () => {
      stub.dialogAnswer = '/home/me/cifar';
      expect(await invokeAs(stub.rendererEvent(), 'openDialog', { kind: 'folder' })).toEqual({
        ok: true,
        value: { path: '/home/me/cifar' },
      });
      expect(dialog.calls[0].options.properties).toEqual(['openDirectory']);
      stub.dialogAnswer = null;
      expect(await invokeAs(stub.rendererEvent(), 'openDialog', { kind: 'file' })).toEqual({
        ok: true,
        value: { path: null },
      });
    });

    it('saves content where the user chose, decoding base64', async () => {
      const target = join(data.dir, 'cell.png');
      stub.dialogAnswer = target;
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
      const env = await invokeAs(stub.rendererEvent(), 'saveContent', {
        defaultName: 'cell.png',
        content: bytes.toString('base64'),
        encoding: 'base64',
      });
      expect(env).toEqual({ ok: true, value: { path: target } });
      expect(readFileSync(target)).toEqual(bytes);
    });
  });

  describe('preload bridge', () => {
    let bridge: NosBridge;
    beforeEach(() => {
      bridge = buildBridge();
    });

    it('exposes window.nos with exactly the API methods, the dialogs and onRunEvent', () => {
      expect(exposedAtLoad).toBeDefined();
      expect([...contextBridge.exposed.keys()]).toEqual([]); // reset: nothing else exposed since
      const members = Object.keys(exposedAtLoad!).sort();
      expect(members).toEqual([...API_METHODS, ...DESKTOP_METHODS, 'onRunEvent'].sort());
      for (const m of members) expect(typeof exposedAtLoad![m]).toBe('function');
      expect(Object.keys(bridge).sort()).toEqual(members);
    });

    it('resolves with the value and rejects with NosErrorData (code and hint kept)', async () => {
      expect(await bridge.listRuns()).toEqual({ total: 0, offset: 0, runs: [] });
      const err = await bridge.getRun({ runId: 999 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'NOT_FOUND' });
      expect(err).not.toBeInstanceOf(Error);
    });

    it('delivers run events until unsubscribed', () => {
      const seen: RunEvent[] = [];
      const off = bridge.onRunEvent((e) => seen.push(e));
      const event: RunEvent = { type: 'log', runId: 1, level: 'info', message: 'hi' };
      ipcRenderer.emit(RUN_EVENT_CHANNEL, { sender: null }, event);
      off();
      ipcRenderer.emit(RUN_EVENT_CHANNEL, { sender: null }, event);
      expect(seen).toEqual([event]);
    });
  });

  it('closes the store and quits when the window is closed', async () => {
    BrowserWindow.created[0].close();
    app.emit('window-all-closed');
    for (let i = 0; i < 100 && !app.quitCalled; i++) await new Promise((r) => setTimeout(r, 10));
    expect(app.quitCalled).toBe(true);
    expect(ipcMain.handlers.size).toBe(0);
  });
});
