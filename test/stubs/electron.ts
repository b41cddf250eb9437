/**
 * A stand-in for the `electron` module so main-process and preload wiring can be tested under
 * Node (vitest.config.mts aliases `electron` here). It implements only what NOS Studio calls,
 * records what the code under test registers, and lets a test play the renderer's part
 * (`stub.invoke`) and the user's part (`stub.dialogAnswer`). Reset it in `beforeEach`.
 */
import { EventEmitter } from 'node:events';

type Listener = (...args: unknown[]) => void;
type InvokeHandler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

export interface WebFrameMain {
  url: string;
  routingId: number;
  /** null for a top-level frame; an iframe has its parent here. */
  parent: WebFrameMain | null;
}

export interface IpcMainInvokeEvent {
  sender: WebContents;
  senderFrame: WebFrameMain | null;
}

export interface HeadersDetails {
  url: string;
  resourceType: string;
  responseHeaders?: Record<string, string[]>;
}

let nextId = 1;

export class WebContents extends EventEmitter {
  readonly id = nextId++;
  readonly mainFrame: WebFrameMain = { url: '', routingId: nextId++, parent: null };
  readonly sent: { channel: string; args: unknown[] }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  destroyed = false;

  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  setWindowOpenHandler(h: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = h;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getURL(): string {
    return this.mainFrame.url;
  }
}

export interface BrowserWindowConstructorOptions {
  webPreferences?: Record<string, unknown>;
  [key: string]: unknown;
}

export class BrowserWindow extends EventEmitter {
  static readonly created: BrowserWindow[] = [];
  readonly webContents = new WebContents();
  readonly options: BrowserWindowConstructorOptions;
  loaded: { url?: string; file?: string } | null = null;
  visible = false;
  minimized = false;
  focused = false;
  destroyed = false;

  constructor(options: BrowserWindowConstructorOptions = {}) {
    super();
    this.options = options;
    BrowserWindow.created.push(this);
  }
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.created.filter((w) => !w.destroyed);
  }
  async loadURL(url: string): Promise<void> {
    this.loaded = { url };
    (this.webContents.mainFrame as { url: string }).url = url;
  }
  async loadFile(file: string): Promise<void> {
    this.loaded = { file };
    (this.webContents.mainFrame as { url: string }).url = `file://${file}`;
  }
  show(): void {
    this.visible = true;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
  }
  focus(): void {
    this.focused = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  close(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

class App extends EventEmitter {
  singleInstanceLock = true;
  quitCalled = false;
  aboutPanelOptions: Record<string, unknown> | null = null;
  aboutShown = false;
  readonly isPackaged = false;

  requestSingleInstanceLock(): boolean {
    return this.singleInstanceLock;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  quit(): void {
    this.quitCalled = true;
  }
  getName(): string {
    return 'NOS Studio';
  }
  getVersion(): string {
    return '0.0.0-stub';
  }
  getPath(_name: string): string {
    return stub.userDataDir;
  }
  setAboutPanelOptions(options: Record<string, unknown>): void {
    this.aboutPanelOptions = options;
  }
  showAboutPanel(): void {
    this.aboutShown = true;
  }
}

export const app = new App();

class IpcMain {
  readonly handlers = new Map<string, InvokeHandler>();
  handle(channel: string, handler: InvokeHandler): void {
    if (this.handlers.has(channel)) {
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    }
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

export const ipcMain = new IpcMain();

type HeadersListener = (
  details: HeadersDetails,
  callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
) => void;

class Session {
  headersListener: HeadersListener | null = null;
  permissionHandler: ((...args: unknown[]) => void) | null = null;
  readonly webRequest = {
    onHeadersReceived: (listener: HeadersListener): void => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(handler: (...args: unknown[]) => void): void {
    this.permissionHandler = handler;
  }
}

export const session = { defaultSession: new Session() };

export interface OpenDialogOptions {
  properties?: string[];
  title?: string;
  filters?: { name: string; extensions: string[] }[];
}

export const dialog = {
  calls: [] as { kind: 'open' | 'save'; options: Record<string, unknown> }[],
  async showOpenDialog(
    _win: BrowserWindow | OpenDialogOptions,
    options?: OpenDialogOptions,
  ): Promise<{ canceled: boolean; filePaths: string[] }> {
    const opts = (options ?? _win) as Record<string, unknown>;
    dialog.calls.push({ kind: 'open', options: opts });
    const answer = stub.dialogAnswer;
    return answer === null
      ? { canceled: true, filePaths: [] }
      : { canceled: false, filePaths: [answer] };
  },
  async showSaveDialog(
    _win: BrowserWindow | Record<string, unknown>,
    options?: Record<string, unknown>,
  ): Promise<{ canceled: boolean; filePath: string }> {
    const opts = (options ?? _win) as Record<string, unknown>;
    dialog.calls.push({ kind: 'save', options: opts });
    const answer = stub.dialogAnswer;
    return answer === null
      ? { canceled: true, filePath: '' }
      : { canceled: false, filePath: answer };
  },
};

export const Menu = {
  current: null as unknown,
  buildFromTemplate(template: unknown[]): { template: unknown[] } {
    return { template };
  },
  setApplicationMenu(menu: unknown): void {
    Menu.current = menu;
  },
};

// ---- preload side --------------------------------------------------------------------------

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    contextBridge.exposed.set(key, api);
  },
};

type RendererListener = (event: { sender: unknown }, ...args: unknown[]) => void;

class IpcRenderer extends EventEmitter {
  /** Forwards to the handler `ipcMain` holds, as the stub's main-frame sender. */
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = ipcMain.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(stub.rendererEvent(), ...args);
  }
  override on(channel: string, listener: RendererListener): this {
    return super.on(channel, listener as Listener);
  }
  override removeListener(channel: string, listener: RendererListener): this {
    return super.removeListener(channel, listener as Listener);
  }
}

export const ipcRenderer = new IpcRenderer();

// ---- test controls -------------------------------------------------------------------------

export const stub = {
  userDataDir: '/tmp/nos-electron-stub',
  /** The path the next native dialog returns; null means the user cancelled. */
  dialogAnswer: null as string | null,
  /** The event `ipcRenderer.invoke` hands to main handlers: from the first window's frame. */
  rendererEvent(): IpcMainInvokeEvent {
    const win = BrowserWindow.getAllWindows()[0];
    const sender = win ? win.webContents : new WebContents();
    return { sender, senderFrame: sender.mainFrame };
  },
  reset(): void {
    BrowserWindow.created.length = 0;
    ipcMain.handlers.clear();
    contextBridge.exposed.clear();
    ipcRenderer.removeAllListeners();
    app.removeAllListeners();
    app.singleInstanceLock = true;
    app.quitCalled = false;
    app.aboutPanelOptions = null;
    app.aboutShown = false;
    session.defaultSession.headersListener = null;
    session.defaultSession.permissionHandler = null;
    dialog.calls.length = 0;
    Menu.current = null;
    stub.dialogAnswer = null;
  },
};

export default {
  app,
  BrowserWindow,
  contextBridge,
  dialog,
  ipcMain,
  ipcRenderer,
  Menu,
  session,
};
