/**
 * What keeps `nos serve` private to the person who started it: a random token per launch that
 * every API call and the event socket must present, a Host check against DNS rebinding (a web
 * page on another name resolving to 127.0.0.1 cannot talk to us), an Origin check for browsers,
 * and the response headers that lock the page down (CSP, no sniffing, no framing).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_HEADER } from '../contract';

/** 32 random bytes as hex: unguessable, URL- and HTML-safe. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** Constant-time comparison, so response timing does not leak the token. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token a request carries: the `x-nos-token` header, else the `token` query parameter. */
export function tokenOf(req: IncomingMessage, url: URL): string | null {
  const header = req.headers[TOKEN_HEADER];
  if (typeof header === 'string' && header.length > 0) return header;
  return url.searchParams.get('token');
}

/** Host names a loopback client may use for us. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

/** True when the Host header names us (DNS-rebinding guard). */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return typeof host === 'string' && allowedHosts(port).has(host.toLowerCase());
}

/** Browsers send Origin on cross-origin and POST requests; when present it must be us. */
export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && allowedHosts(port).has(u.host.toLowerCase());
  } catch {
    return false;
  }
}

/**
 * The page's Content-Security-Policy: only our own scripts and styles, API calls and the event
 * socket to this server only, images from us or the data:/blob: URLs of previews and exports.
 * Vue and ECharts set style attributes, hence 'unsafe-inline' for styles (never for scripts).
 */
export function serverCsp(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers every response carries. */
export function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': serverCsp(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
