/**
 * The desktop app's start-up, in phases: claim the single-instance lock, wait for Electron,
 * lock down the session, open the store and job queue (the API composition root, loaded only
 * now so the entry stays small), answer IPC, open the window, and forward run events to it.
 */
import { join } from 'node:path';
import { BrowserWindow, app, ipcMain, Menu, type IpcMainInvokeEvent } from 'electron';
import { createDispatch } from '../api/dispatch';
import type { NosService } from '../api/service';
import type { QueueOptions } from '../jobs';
import { createDesktopApi } from './dialogs';
import { pushRunEvent, registerIpcHandlers } from './ipc';
import {
  createMainWindow,
  installContentSecurityPolicy,
  isAppUrl,
  type WindowOptions,
} from './window';

export interface DesktopOptions {
  /** Data folder; default: NOS_STUDIO_HOME, else the platform's application-data folder. */
  dataDir?: string;
  /** Folder of the built bundles (out/): preload/index.js and renderer/index.html inside. */
  outDir?: string;
  devServerUrl?: string;
  /** Job queue settings (tests run tiny jobs). */
  queue?: QueueOptions;
}

export interface DesktopHandle {
  window: BrowserWindow;
  service: NosService;
  /** Closes the window's wiring and the store (what quitting does). */
  shutdown(): Promise<void>;
}

/** True when an IPC call comes from the top frame of `win`, showing the app's own page. */
export function isTrustedSender(
  event: IpcMainInvokeEvent,
  win: BrowserWindow | null,
  page: Pick<WindowOptions, 'indexHtml' | 'devServerUrl'>,
): boolean {
  if (!win || win.isDestroyed()) return false;
  const frame = event.senderFrame;
  if (event.sender.id !== win.webContents.id || !frame || frame.parent !== null) return false;
  return isAppUrl(frame.url, page);
}

/** Starts the app; resolves to null when another instance already runs (it gets focus). */
export async function startDesktop(opts: DesktopOptions = {}): Promise<DesktopHandle | null> {
  // Single instance: a second launch focuses the first window and exits.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  let win: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (!win || win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  await app.whenReady();

  // Session policy before any page loads.
  const outDir = opts.outDir ?? join(__dirname, '..');
  const page: WindowOptions = {
    preloadPath: join(outDir, 'preload', 'index.js'),
    indexHtml: join(outDir, 'renderer', 'index.html'),
    devServerUrl: opts.devServerUrl,
  };
  installContentSecurityPolicy(page.devServerUrl);

  // The API: store, job queue, data, engine. Loaded here, not at the top, to start fast.
  const { createNosService } = await import('../api/service');
  const { resolveDataDir } = await import('../store/paths');
  const service = await createNosService({
    dataDir: resolveDataDir(opts.dataDir),
    transport: 'ipc',
    nativeDialogs: true,
    logName: 'desktop',
    runtime: {
      electron: process.versions.electron ?? null,
      chrome: process.versions.chrome ?? null,
    },
    appVersion: app.getVersion(),
    queue: opts.queue,
  });

  // IPC is answered before the page can call.
  const dispatch = createDispatch(
    service.api,
    createDesktopApi(() => win),
  );
  const unregister = registerIpcHandlers(ipcMain, dispatch, (e) => isTrustedSender(e, win, page));

  win = createMainWindow(page);
  const unsubscribe = service.onRunEvent((event) => {
    if (win && !win.isDestroyed()) pushRunEvent(win.webContents, event);
  });
  await installAboutPanel(service);

  let stopped = false;
  const shutdown = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    unregister();
    await service.close();
  };
  app.on('window-all-closed', () => {
    void shutdown().finally(() => app.quit());
  });
  return { window: win, service, shutdown };
}

/** The About panel (Help > About): app, Electron, Node and TensorFlow.js versions, backend. */
async function installAboutPanel(service: NosService): Promise<void> {
  const about = await service.api.about();
  const backend = about.backend ? `${about.backend.name} ${about.backend.version}` : 'not probed';
  app.setAboutPanelOptions({
    applicationName: about.app.name,
    applicationVersion: about.app.version,
    version: `Electron ${about.versions.electron ?? '-'}`,
    credits: [
      `Node ${about.versions.node}`,
      `Chromium ${about.versions.chrome ?? '-'}`,
      `TensorFlow.js ${about.versions.tfjs}`,
      `Compute backend: ${backend}`,
      `Data: ${about.dataDir}`,
    ].join('\n'),
  });
  const menu = Menu.buildFromTemplate([
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'About NOS Studio', click: () => app.showAboutPanel() }] },
  ]);
  Menu.setApplicationMenu(menu);
}
