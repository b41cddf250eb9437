/**
 * The browser end-to-end harness: `nos serve` on a temporary data directory, Debian's Chromium
 * driven by playwright-core, every console error and failed request of the page collected, and
 * helpers that prove a chart painted by reading its canvas pixels. Screenshots go to
 * `test-results/e2e/`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { startServer, type ServerHandle } from '../../src-main/server';

export const ROOT = resolve(__dirname, '..', '..');
/** The built renderer; NOS_E2E_RENDERER_DIR points elsewhere (a build in a scratch folder). */
export const RENDERER_DIR = process.env.NOS_E2E_RENDERER_DIR ?? join(ROOT, 'out', 'renderer');
export const SHOTS_DIR = join(ROOT, 'test-results', 'e2e');

const CHROMIUM_CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium; the wrapper script prints a harmless warning, so prefer the binary. */
export function chromiumPath(): string {
  const found = CHROMIUM_CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'Chromium is not installed: run `apt-get install -y chromium` (Debian), then retry.',
    );
  }
  return found;
}

const VIEWPORT = { width: 1366, height: 900 };

export interface PageProblems {
  console: string[];
  pageErrors: string[];
  failedRequests: string[];
  /** Requests that left the app's own origin: the app must never need the network. */
  foreignRequests: string[];
}

export interface App {
  server: ServerHandle;
  browser: Browser;
  page: Page;
  dataDir: string;
  problems: PageProblems;
  /** Saves a full-page screenshot as test-results/e2e/<NN>-<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the server on a fresh data directory, launches Chromium and opens the app. */
export async function startApp(): Promise<App> {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`No built renderer in ${RENDERER_DIR}: run \`npx electron-vite build\` first.`);
  }
  mkdirSync(SHOTS_DIR, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'nos-e2e-'));
  const server = await startServer({
    port: 0,
    dataDir,
    host: '127.0.0.1',
    staticDir: RENDERER_DIR,
  });
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: CHROMIUM_ARGS,
    headless: true,
  });
  const context = await browser.newContext({
    viewport: VIEWPORT,
    acceptDownloads: true,
  });
  const page = await context.newPage();

  const problems: PageProblems = {
    console: [],
    pageErrors: [],
    failedRequests: [],
    foreignRequests: [],
  };
  page.on('request', (req) => {
    const url = req.url();
    const own =
      url.startsWith(server.origin) || url.startsWith(server.origin.replace(/^http/, 'ws'));
    if (!own && !/^(data|blob):/.test(url)) problems.foreignRequests.push(url);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.console.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.pageErrors.push(String(err)));
  page.on('requestfailed', (req) => {
    // A download that the test saves itself is reported as aborted: not a failure.
    const reason = req.failure()?.errorText ?? '';
    if (!reason.includes('ERR_ABORTED'))
      problems.failedRequests.push(`${req.method()} ${req.url()}: ${reason}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400)
      problems.failedRequests.push(`${res.status()} ${res.request().method()} ${res.url()}`);
  });

  await page.goto(server.url);
  let shot = 0;
  return {
    server,
    browser,
    page,
    dataDir,
    problems,
    async screenshot(name) {
      const file = join(SHOTS_DIR, `${String(++shot).padStart(2, '0')}-${name}.png`);
      // The app scrolls inside <main>, not the document, so a full-page shot would stop at the
      // window: grow the window to the content for the shot, then restore it.
      const content = await page
        .getByTestId('main')
        .evaluate((el) => (el as unknown as { scrollHeight: number }).scrollHeight);
      const tall = Math.min(Math.max(VIEWPORT.height, content), 4000);
      if (tall > VIEWPORT.height) {
        await page.setViewportSize({ width: VIEWPORT.width, height: tall });
        await page.waitForTimeout(400); // charts redraw at the new size
      }
      await page.screenshot({ path: file });
      if (tall > VIEWPORT.height) await page.setViewportSize(VIEWPORT);
      return file;
    },
    async close() {
      await browser.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const byTestId = (scope: Page | Locator, id: string): Locator => scope.getByTestId(id);

export interface CanvasPaint {
  width: number;
  height: number;
  /** Pixels that differ from the top-left pixel (the chart's background). */
  inkPixels: number;
  /** Distinct colours among the sampled pixels. */
  colours: number;
  /**
   * Pixels of a clearly chromatic colour (channel spread over 40). Axes, grid lines and labels
   * are grey; series, markers and heatmap cells are coloured: this counts drawn data.
   */
  chromaticPixels: number;
}

interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    drawImage(image: CanvasLike, x: number, y: number): void;
  } | null;
}

interface ContainerLike {
  querySelectorAll(selector: 'canvas'): ArrayLike<CanvasLike>;
  ownerDocument: { createElement(tag: 'canvas'): CanvasLike };
}

/**
 * Reads the pixels of the chart inside `container` and measures how much of it is not
 * background. ECharts may draw one chart on several stacked canvases (zrender layers: a heatmap
 * or a progressive series gets its own), so the layers are composited in DOM order first. An
 * empty chart has a few axis pixels at most.
 */
export async function canvasPaint(container: Locator): Promise<CanvasPaint> {
  await container.locator('canvas').first().waitFor({ state: 'attached' });
  return container.evaluate((element) => {
    // The node tsconfig has no DOM library: describe the little of a canvas used here.
    const box = element as unknown as ContainerLike;
    const layers = Array.from(box.querySelectorAll('canvas'));
    const [first] = layers;
    const empty = {
      width: first.width,
      height: first.height,
      inkPixels: 0,
      colours: 0,
      chromaticPixels: 0,
    };
    if (first.width === 0 || first.height === 0) return empty;
    const flat = box.ownerDocument.createElement('canvas');
    flat.width = first.width;
    flat.height = first.height;
    const ctx = flat.getContext('2d');
    if (!ctx) return empty;
    for (const layer of layers) ctx.drawImage(layer, 0, 0);
    const { data } = ctx.getImageData(0, 0, flat.width, flat.height);
    const colours = new Set<number>();
    let inkPixels = 0;
    let chromaticPixels = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      colours.add(((r << 24) | (g << 16) | (b << 8) | a) >>> 0);
      if (r !== data[0] || g !== data[1] || b !== data[2] || a !== data[3]) inkPixels++;
      if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 40) chromaticPixels++;
    }
    return {
      width: flat.width,
      height: flat.height,
      inkPixels,
      colours: colours.size,
      chromaticPixels,
    };
  });
}
