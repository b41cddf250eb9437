/**
 * Serving the built renderer (out/renderer) to the browser: files only from inside that folder,
 * with their real MIME types, and index.html with the launch token written into a
 * `<meta name="nos-token">` so the page can call the API.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeType(file: string): string {
  return MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export interface StaticFile {
  body: Buffer;
  type: string;
}

/**
 * The file at URL path `pathname` inside `root`, or null when there is none (or the path tries
 * to leave the folder: `..`, encoded separators, NUL).
 */
export function readStatic(root: string, pathname: string): StaticFile | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = resolve(root);
  const file = resolve(join(base, decoded));
  if (file !== base && !file.startsWith(base + sep)) return null;
  try {
    if (!statSync(file).isFile()) return null;
    return { body: readFileSync(file), type: mimeType(file) };
  } catch {
    return null;
  }
}

/** index.html with the token meta tag added at the top of <head>. */
export function indexWithToken(html: string, token: string): string {
  const meta = `<meta name="nos-token" content="${token}" />`;
  const at = html.search(/<head[^>]*>/i);
  if (at < 0) return meta + html;
  const end = html.indexOf('>', at) + 1;
  return html.slice(0, end) + '\n    ' + meta + html.slice(end);
}
