/**
 * Fields a schema dropped. The config schemas strip keys they do not know, so a misspelt setting
 * ("epoch" for "epochs") would silently keep its default; the boundaries (config files, IPC and
 * HTTP payloads) compare what they were given with what validation kept and refuse the rest.
 */

export interface UnknownField {
  /** Dotted path of the dropped field, e.g. `config.teacher.arc`. */
  path: string;
  /** The fields the object at that place does have, for the message. */
  known: string[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every field of `given` (objects and arrays, recursively) that `parsed` no longer has. */
export function unknownFields(given: unknown, parsed: unknown, prefix = ''): UnknownField[] {
  const out: UnknownField[] = [];
  if (Array.isArray(given) && Array.isArray(parsed)) {
    given.forEach((item, i) => out.push(...unknownFields(item, parsed[i], `${prefix}[${i}].`)));
    return out;
  }
  if (!isPlainObject(given) || !isPlainObject(parsed)) return out;
  for (const [key, value] of Object.entries(given)) {
    // An explicit undefined (possible over IPC) says nothing; JSON cannot carry it anyway.
    if (value === undefined) continue;
    const path = `${prefix}${key}`;
    if (!(key in parsed)) out.push({ path, known: Object.keys(parsed) });
    else out.push(...unknownFields(value, parsed[key], `${path}.`));
  }
  return out.map((f) => ({ ...f, path: f.path.replace(/\.\[/g, '[') }));
}
