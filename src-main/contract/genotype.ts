/**
 * Genotypes: the discrete outcome of a search (NOS-SPEC sections 2 and 3), as versioned,
 * validated JSON. One block per inner node of a cell:
 * - `first`: the chosen first-tier (op, input) pairs. `input` numbers the cell's nodes: 0 and 1
 *   are the two cell inputs, 2 + j the j-th inner node, so block k may read inputs 0..k+1.
 * - `second`: the second-tier op applied to the surrogate node (NOS spaces); absent in the
 *   DARTS space, whose node is just the sum of its two first-tier edges.
 * `concat` lists the nodes concatenated into the cell output (DARTS: range(2, 6)).
 *
 * DARTS-space genotypes also read and write the text form of the DARTS code base
 * (`Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=range(2, 6), ...)`), parsed here
 * with a small tokenizer: stored text is never evaluated.
 */
import { z } from 'zod';
import { NosError } from './errors';
import {
  PRIMITIVES,
  SEARCH_SPACE_NAMES,
  SEARCH_SPACES,
  familyOf,
  type Primitive,
  type SearchSpaceName,
} from './primitives';

export const GENOTYPE_VERSION = 1;

const primitiveSchema = z.enum(PRIMITIVES);

const edgeSchema = z.strictObject({
  op: primitiveSchema,
  input: z.number().int().nonnegative(),
});

const blockSchema = z.strictObject({
  first: z.array(edgeSchema).length(2, 'a block has exactly two first-tier (op, input) pairs'),
  second: primitiveSchema.optional(),
});

const genotypeSchema = z.strictObject({
  version: z.literal(GENOTYPE_VERSION),
  space: z.enum(SEARCH_SPACE_NAMES),
  normal: z.array(blockSchema).min(1, 'a cell has at least one block'),
  reduce: z.array(blockSchema).min(1, 'a cell has at least one block'),
  concat: z.array(z.number().int()).min(1, 'concat names at least one node'),
});

export type GenotypeEdge = z.infer<typeof edgeSchema>;
export type GenotypeBlock = z.infer<typeof blockSchema>;
export type Genotype = z.infer<typeof genotypeSchema>;

/** Path like `normal[2].first[0].op` from a zod issue path. */
function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`))
    .join('');
}

function badGenotype(field: string, problem: string): NosError {
  return new NosError(
    'BAD_INPUT',
    `Invalid genotype: ${field}: ${problem}`,
    'Fix the genotype file (see resources/genotypes for examples) or re-derive it from a run.',
    { field },
  );
}

/** Checks what a schema cannot: inputs in range, ops of the space, the tiers each space has. */
function checkSemantics(g: Genotype): void {
  if (g.normal.length !== g.reduce.length) {
    throw badGenotype(
      'reduce',
      `has ${g.reduce.length} blocks but normal has ${g.normal.length}; both cells have the same number of nodes`,
    );
  }
  const allowed = SEARCH_SPACES[g.space];
  const twoTier = g.space !== 'darts';
  for (const cell of ['normal', 'reduce'] as const) {
    g[cell].forEach((block, k) => {
      const at = `${cell}[${k}]`;
      block.first.forEach((e, j) => {
        if (e.input > k + 1) {
          throw badGenotype(
            `${at}.first[${j}].input`,
            `block ${k} may read nodes 0..${k + 1}, received ${e.input}`,
          );
        }
        checkOp(`${at}.first[${j}].op`, e.op, allowed, g.space);
      });
      if (twoTier) {
        if (block.second === undefined) {
          throw badGenotype(`${at}.second`, `the ${g.space} space needs a second-tier op`);
        }
        checkOp(`${at}.second`, block.second, allowed, g.space);
        if (!block.first.some((e) => familyOf(e.op) === 'feature')) {
          throw badGenotype(`${at}.first`, 'needs at least one feature op (NOS derivation rule)');
        }
      } else if (block.second !== undefined) {
        throw badGenotype(`${at}.second`, 'the darts space has no second tier; remove it');
      }
    });
  }
  const nodes = g.normal.length;
  g.concat.forEach((n, i) => {
    if (n < 2 || n > nodes + 1) {
      throw badGenotype(`concat[${i}]`, `expected a node in 2..${nodes + 1}, received ${n}`);
    }
  });
  if (new Set(g.concat).size !== g.concat.length) {
    throw badGenotype('concat', `lists a node twice: [${g.concat.join(', ')}]`);
  }
}

function checkOp(
  field: string,
  op: Primitive,
  allowed: readonly Primitive[],
  space: SearchSpaceName,
): void {
  if (op === 'none') throw badGenotype(field, '`none` is never part of a genotype');
  if (!allowed.includes(op)) {
    throw badGenotype(field, `${op} is not in the ${space} space (${allowed.join(', ')})`);
  }
}

/** Validates unknown JSON (already parsed) as a genotype. Throws NosError BAD_INPUT. */
export function validateGenotype(value: unknown): Genotype {
  const r = genotypeSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.length > 0 ? fieldPath(issue.path) : '(root)';
    throw badGenotype(field, issue.message);
  }
  checkSemantics(r.data);
  return r.data;
}

/** Parses genotype JSON text. Throws NosError BAD_INPUT naming the bad field. */
export function parseGenotype(text: string): Genotype {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new NosError(
      'BAD_INPUT',
      `Invalid genotype: not JSON (${err instanceof Error ? err.message : String(err)}).`,
      'A genotype file is JSON ({"version": 1, "space": ...}) or DARTS text (Genotype(...)).',
    );
  }
  return validateGenotype(value);
}

/** Genotype as pretty JSON (stable key order). */
export function formatGenotype(g: Genotype): string {
  return JSON.stringify(validateGenotype(g), null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// The DARTS text form

/** `[2, 3, 4, 5]` → `range(2, 6)` when contiguous, else the list. */
function formatConcat(concat: readonly number[]): string {
  const contiguous = concat.every((n, i) => i === 0 || n === concat[i - 1] + 1);
  return contiguous
    ? `range(${concat[0]}, ${concat[concat.length - 1] + 1})`
    : `[${concat.join(', ')}]`;
}

/** DARTS text form of a darts-space genotype. */
export function formatDartsGenotype(g: Genotype): string {
  validateGenotype(g);
  if (g.space !== 'darts') {
    throw new NosError(
      'BAD_INPUT',
      `Only darts-space genotypes have a DARTS text form; this one is in the ${g.space} space.`,
      'Export it as NOS genotype JSON instead.',
    );
  }
  const cell = (blocks: GenotypeBlock[]): string =>
    '[' + blocks.flatMap((b) => b.first.map((e) => `('${e.op}', ${e.input})`)).join(', ') + ']';
  const concat = formatConcat(g.concat);
  return (
    `Genotype(normal=${cell(g.normal)}, normal_concat=${concat}, ` +
    `reduce=${cell(g.reduce)}, reduce_concat=${concat})`
  );
}

type Token = { kind: 'ident' | 'string' | 'number' | 'punct'; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|'([^']*)'|"([^"]*)"|(-?\d+)|([()[\],=]))/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw dartsTextError(`unexpected character "${text[pos]}" at offset ${pos}`);
    const at = pos;
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: 'ident', text: m[1], at });
    else if (m[2] !== undefined || m[3] !== undefined)
      tokens.push({ kind: 'string', text: m[2] ?? m[3], at });
    else if (m[4] !== undefined) tokens.push({ kind: 'number', text: m[4], at });
    else tokens.push({ kind: 'punct', text: m[5], at });
  }
  return tokens;
}

function dartsTextError(problem: string): NosError {
  return new NosError(
    'BAD_INPUT',
    `Invalid DARTS genotype text: ${problem}.`,
    "Expected Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=range(2, 6), " +
      'reduce=[...], reduce_concat=range(2, 6)).',
  );
}

/** A cursor over tokens with the few grammar rules of the DARTS text form. */
class DartsTextParser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw dartsTextError('the text ends early');
    return t;
  }

  expect(text: string): void {
    const t = this.next();
    if (t.text !== text || t.kind === 'string') {
      throw dartsTextError(`expected "${text}" at offset ${t.at}, found "${t.text}"`);
    }
  }

  peek(text: string): boolean {
    const t = this.tokens[this.i];
    return t !== undefined && t.kind === 'punct' && t.text === text;
  }

  ident(): string {
    const t = this.next();
    if (t.kind !== 'ident') throw dartsTextError(`expected a name at offset ${t.at}`);
    return t.text;
  }

  int(): number {
    const t = this.next();
    if (t.kind !== 'number') throw dartsTextError(`expected an integer at offset ${t.at}`);
    return Number(t.text);
  }

  /** `[('op', 0), ...]` */
  pairs(): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    this.expect('[');
    while (!this.peek(']')) {
      this.expect('(');
      const t = this.next();
      if (t.kind !== 'string')
        throw dartsTextError(`expected an op name in quotes at offset ${t.at}`);
      this.expect(',');
      out.push([t.text, this.int()]);
      this.expect(')');
      if (!this.peek(']')) this.expect(',');
    }
    this.expect(']');
    return out;
  }

  /** `range(a, b)` or `[a, b, ...]` */
  concat(): number[] {
    if (this.peek('[')) {
      this.expect('[');
      const out: number[] = [];
      while (!this.peek(']')) {
        out.push(this.int());
        if (!this.peek(']')) this.expect(',');
      }
      this.expect(']');
      return out;
    }
    if (this.ident() !== 'range') throw dartsTextError('concat must be range(a, b) or a list');
    this.expect('(');
    const lo = this.int();
    this.expect(',');
    const hi = this.int();
    this.expect(')');
    return Array.from({ length: Math.max(0, hi - lo) }, (_, j) => lo + j);
  }

  done(): boolean {
    return this.i >= this.tokens.length;
  }
}

function blocksFromPairs(cell: string, pairs: Array<[string, number]>): GenotypeBlock[] {
  if (pairs.length % 2 !== 0) {
    throw dartsTextError(`${cell} has ${pairs.length} (op, input) pairs; expected two per node`);
  }
  const blocks: GenotypeBlock[] = [];
  for (let k = 0; k < pairs.length; k += 2) {
    blocks.push({
      first: [0, 1].map((j) => ({ op: pairs[k + j][0] as Primitive, input: pairs[k + j][1] })),
    });
  }
  return blocks;
}

/** Parses the DARTS text form into a darts-space genotype (validated). */
export function parseDartsGenotype(text: string): Genotype {
  const p = new DartsTextParser(tokenize(text.trim()));
  if (p.ident() !== 'Genotype') throw dartsTextError('it must start with Genotype(');
  p.expect('(');
  const fields = new Map<string, Array<[string, number]> | number[]>();
  for (;;) {
    const name = p.ident();
    p.expect('=');
    fields.set(name, name.endsWith('_concat') ? p.concat() : p.pairs());
    if (p.peek(')')) break;
    p.expect(',');
  }
  p.expect(')');
  if (!p.done()) throw dartsTextError('unexpected text after the closing ")"');
  for (const f of ['normal', 'normal_concat', 'reduce', 'reduce_concat']) {
    if (!fields.has(f)) throw dartsTextError(`the field ${f} is missing`);
  }
  const nc = fields.get('normal_concat') as number[];
  const rc = fields.get('reduce_concat') as number[];
  if (nc.join() !== rc.join()) {
    throw dartsTextError('normal_concat and reduce_concat differ; NOS genotypes share one concat');
  }
  return validateGenotype({
    version: GENOTYPE_VERSION,
    space: 'darts',
    normal: blocksFromPairs('normal', fields.get('normal') as Array<[string, number]>),
    reduce: blocksFromPairs('reduce', fields.get('reduce') as Array<[string, number]>),
    concat: nc,
  });
}

/** Reads either form: JSON or DARTS text (detected by its leading `Genotype`). */
export function parseAnyGenotype(text: string): Genotype {
  return text.trimStart().startsWith('Genotype') ? parseDartsGenotype(text) : parseGenotype(text);
}
