/**
 * One door for every transport: a method name and an untrusted payload in, a contract envelope
 * out. The IPC handlers (Electron) and the HTTP routes (`nos serve`) both call `dispatch`, so a
 * payload is validated by the same zod schema whichever way it came, and a failure always
 * crosses the boundary as NosErrorData with a stable code.
 */
import type { z } from 'zod';
import {
  API_SCHEMAS,
  DESKTOP_SCHEMAS,
  NosError,
  toErrorData,
  type ApiEnvelope,
  type ApiMethod,
  type DesktopMethod,
  type NosApi,
  type NosDesktopApi,
  unknownFields,
} from '../contract';

export type AnyMethod = ApiMethod | DesktopMethod;
export type Dispatch = (method: string, payload: unknown) => Promise<ApiEnvelope<unknown>>;

type Handler = (payload: unknown) => Promise<unknown>;

export function isApiMethod(name: string): name is ApiMethod {
  return Object.prototype.hasOwnProperty.call(API_SCHEMAS, name);
}

export function isDesktopMethod(name: string): name is DesktopMethod {
  return Object.prototype.hasOwnProperty.call(DESKTOP_SCHEMAS, name);
}

/** Readable lines for zod issues: `config.epochs: Too small: expected number to be >0`. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(payload)';
    return `${path}: ${issue.message}`;
  });
}

/**
 * Parses `payload` with the schema of `method`, or throws BAD_INPUT naming every bad field.
 * Unknown methods are BAD_INPUT too: the caller named something that does not exist.
 */
export function validatePayload(method: string, payload: unknown, desktop: boolean): unknown {
  const schema = isApiMethod(method)
    ? API_SCHEMAS[method]
    : desktop && isDesktopMethod(method)
      ? DESKTOP_SCHEMAS[method]
      : null;
  if (!schema) {
    throw new NosError(
      'BAD_INPUT',
      `Unknown API method ${JSON.stringify(method)}.`,
      'The page and the app may be from different versions: reload the page.',
      { method },
    );
  }
  const result = (schema as z.ZodType).safeParse(payload);
  if (result.success) {
    // Nested config objects strip what they do not know; a misspelt field must not be ignored.
    const unknown = unknownFields(payload, result.data);
    if (unknown.length === 0) return result.data;
    const lines = unknown.map((f) => `${f.path}: unknown field; known here: ${f.known.join(', ')}`);
    throw new NosError(
      'BAD_INPUT',
      `Invalid payload for ${method}:\n  ${lines.join('\n  ')}`,
      'Check the spelling of the named fields, or leave them out.',
      { method, issues: lines },
    );
  }
  const lines = formatIssues(result.error);
  throw new NosError(
    'BAD_INPUT',
    `Invalid payload for ${method}:\n  ${lines.join('\n  ')}`,
    'Fix the named fields and try again.',
    { method, issues: lines },
  );
}

/**
 * Builds the dispatcher over an API implementation. `desktop` adds the native-dialog methods
 * (Electron only); without it they are unknown methods.
 */
export function createDispatch(api: NosApi, desktop?: NosDesktopApi): Dispatch {
  const handlers = new Map<string, Handler>();
  const table = api as unknown as Record<string, Handler>;
  for (const method of Object.keys(API_SCHEMAS)) {
    handlers.set(method, (p) => table[method].call(api, p));
  }
  if (desktop) {
    const desk = desktop as unknown as Record<string, Handler>;
    for (const method of Object.keys(DESKTOP_SCHEMAS)) {
      handlers.set(method, (p) => desk[method].call(desktop, p));
    }
  }

  return async (method, payload) => {
    try {
      const parsed = validatePayload(method, payload, desktop !== undefined);
      const handler = handlers.get(method);
      if (!handler) throw new NosError('INTERNAL', `No handler for API method ${method}.`);
      const value = await handler(parsed);
      return { ok: true, value: value === undefined ? null : value };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  };
}
