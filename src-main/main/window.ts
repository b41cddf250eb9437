/**
 * The one main window. It is created locked down (architecture rule: the renderer is
 * untrusted): context isolation and the Chromium sandbox on, no Node integration, the preload
 * script as the only bridge, no navigation away from the app and no new windows, every
 * permission request (camera, notifications, ...) denied, and a strict CSP on every response.
 */
import { pathToFileURL } from 'node:url';
import { BrowserWindow, session } from 'electron';
import { desktopCsp } from './csp';

export interface WindowOptions {
  /** Absolute path of the built preload script (out/preload/index.js). */
  preloadPath: string;
  /** Absolute path of the built renderer page (out/renderer/index.html). */
  indexHtml: string;
  /** Vite dev server URL in `electron-vite dev`; the built page otherwise. */
  devServerUrl?: string;
}

/** webPreferences of the main window; exported so a test can read them back. */
export function secureWebPreferences(preloadPath: string): Record<string, unknown> {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** Adds the CSP header to every response the default session receives. Call once, when ready. */
export function installContentSecurityPolicy(devServerUrl?: string): void {
  const policy = desktopCsp(devServerUrl);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => {
    callback(false);
  });
}

/** True when `url` is the app's own page (the built file or the dev server). */
export function isAppUrl(
  url: string,
  opts: Pick<WindowOptions, 'indexHtml' | 'devServerUrl'>,
): boolean {
  if (opts.devServerUrl) return url.startsWith(new URL(opts.devServerUrl).origin + '/');
  const page = pathToFileURL(opts.indexHtml);
  try {
    const u = new URL(url);
    return u.protocol === 'file:' && u.pathname === page.pathname;
  } catch {
    return false;
  }
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 840,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'NOS Studio',
    backgroundColor: '#ffffff',
    webPreferences: secureWebPreferences(opts.preloadPath),
  });

  // The window only ever shows the app: links open nowhere, navigation away is refused.
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event: { preventDefault(): void }, url: string) => {
    if (!isAppUrl(url, opts)) event.preventDefault();
  });
  win.once('ready-to-show', () => win.show());

  if (opts.devServerUrl) void win.loadURL(opts.devServerUrl);
  else void win.loadFile(opts.indexHtml);
  return win;
}
