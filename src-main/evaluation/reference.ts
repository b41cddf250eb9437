/**
 * The published reference results (NOS-SPEC section 5; the NOS paper's Tables 1-4 and the
 * space-generality numbers of its section 5.4) read from `resources/reference/`, validated by
 * the contract's schema, ready to show beside this machine's runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  parsePublishedResults,
  type PublishedFigure,
  type PublishedResults,
  type PublishedRow,
  type PublishedTable,
} from '../contract/evaluation';
import { NosError } from '../contract/errors';

const RELATIVE_PATH = join('reference', 'published-results.json');

/**
 * A file or folder under the bundled `resources/`: found by walking up from this module to the
 * folder that holds it (the checkout under tsx and vitest, the app folder in a build). A
 * packaged app passes its resources folder instead.
 */
export function resourcePath(relative: string, resourcesRoot?: string): string {
  if (resourcesRoot !== undefined) return join(resourcesRoot, relative);
  let dir = resolve(__dirname);
  for (;;) {
    const candidate = join(dir, 'resources', relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new NosError(
    'NOT_FOUND',
    `The bundled resource resources/${relative} was not found above ${__dirname}.`,
    'Run from a NOS Studio checkout or pass the resources folder explicitly.',
  );
}

/** The bundled published-results file. */
export function defaultReferencePath(resourcesRoot?: string): string {
  return resourcePath(RELATIVE_PATH, resourcesRoot);
}

export function loadPublishedResults(path: string = defaultReferencePath()): PublishedResults {
  if (!existsSync(path)) {
    throw new NosError(
      'NOT_FOUND',
      `Published results file ${path} does not exist.`,
      'Pass the path of resources/reference/published-results.json.',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new NosError(
      'BAD_INPUT',
      `Published results file ${path} is not valid JSON: ${(err as Error).message}.`,
      'Restore the file from the NOS Studio distribution.',
    );
  }
  return parsePublishedResults(json);
}

/** One published figure with everything needed to cite it. */
export interface PublishedCell {
  tableId: string;
  nosTable: string;
  rowId: string;
  label: string;
  column: string;
  unit: string;
  figure: PublishedFigure | null;
  /** Citation of the method's own paper, where the NOS paper quotes another method. */
  methodCitation: string | null;
}

export function findTable(doc: PublishedResults, tableId: string): PublishedTable {
  const table = doc.tables.find((t) => t.id === tableId);
  if (!table) {
    throw new NosError(
      'NOT_FOUND',
      `No published table "${tableId}": expected one of ${doc.tables.map((t) => t.id).join(', ')}.`,
    );
  }
  return table;
}

export function findRow(table: PublishedTable, rowId: string): PublishedRow {
  const row = table.rows.find((r) => r.id === rowId);
  if (!row) {
    throw new NosError(
      'NOT_FOUND',
      `No row "${rowId}" in ${table.id}: expected one of ${table.rows.map((r) => r.id).join(', ')}.`,
    );
  }
  return row;
}

/** A figure with its source: table, row, column, unit and the method's own paper. */
export function publishedCell(
  doc: PublishedResults,
  tableId: string,
  rowId: string,
  column: string,
): PublishedCell {
  const table = findTable(doc, tableId);
  const row = findRow(table, rowId);
  const col = table.columns.find((c) => c.key === column);
  if (!col) {
    throw new NosError(
      'NOT_FOUND',
      `No column "${column}" in ${tableId}: expected one of ${table.columns.map((c) => c.key).join(', ')}.`,
    );
  }
  const paper = row.methodPaper !== undefined ? doc.papers[row.methodPaper] : undefined;
  return {
    tableId,
    nosTable: table.nosTable,
    rowId,
    label: row.label,
    column,
    unit: col.unit,
    figure: row.values[column] ?? null,
    methodCitation: paper ? paper.citation : null,
  };
}
