/**
 * Where the page finds the per-launch token of `nos serve`. The server hands it to the page in
 * one of these places; the first that has it wins, and it is kept for the session so reloads
 * and hash navigation do not lose it.
 */
const STORAGE_KEY = 'nos-token';

export function readToken(
  loc: Location = window.location,
  doc: Document = document,
): string | null {
  const fromQuery = new URLSearchParams(loc.search).get('token');
  const fromMeta = doc.querySelector('meta[name="nos-token"]')?.getAttribute('content') ?? null;
  const fromStorage = window.sessionStorage.getItem(STORAGE_KEY);
  const token = fromQuery || fromMeta || fromStorage;
  if (token) window.sessionStorage.setItem(STORAGE_KEY, token);
  return token;
}
