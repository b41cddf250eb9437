/**
 * The names of the NosApi methods and the wire addresses derived from them (IPC channels, HTTP
 * routes, the events socket, the token header), with no schema library attached. The sandboxed
 * preload imports only this module: a sandboxed preload can `require` nothing but `electron`, so
 * anything it imports must bundle to plain code, and zod must stay out. `api.ts` holds the zod
 * schema of each name and re-exports everything here; the compiler keeps the two tables in step
 * (`satisfies` there).
 */

/** Every API method name, in table order: IPC channels, HTTP routes and tests iterate this. */
export const API_METHODS = [
  'about',
  'doctor',
  'listDatasets',
  'detectDatasets',
  'inspectDataset',
  'importDataset',
  'getDataset',
  'deleteDataset',
  'listRuns',
  'getRun',
  'searchPresets',
  'startSearch',
  'startTeacher',
  'startEvaluation',
  'startRandomBaseline',
  'startOpStudy',
  'estimateSearch',
  'pauseRun',
  'resumeRun',
  'cancelRun',
  'deleteRun',
  'setRunTags',
  'setRunNote',
  'compareRuns',
  'referenceResults',
  'exportGenotype',
  'exportWeights',
] as const;
export type ApiMethod = (typeof API_METHODS)[number];

/** Desktop-only methods: native dialogs. Electron registers them; `nos serve` does not. */
export const DESKTOP_METHODS = ['openDialog', 'saveDialog', 'saveContent'] as const;
export type DesktopMethod = (typeof DESKTOP_METHODS)[number];

/** IPC channel of a method (Electron transport). */
export function ipcChannel(method: ApiMethod | DesktopMethod): string {
  return `nos:${method}`;
}

/** IPC channel on which the main process pushes RunEvents to the window. */
export const RUN_EVENT_CHANNEL = 'nos:run-event';

/** HTTP route of a method (`nos serve` transport). */
export function httpRoute(method: ApiMethod): string {
  return `/api/${method}`;
}

/** WebSocket path on which `nos serve` pushes RunEvents. */
export const EVENTS_PATH = '/api/events';

/** Header (or `?token=` query parameter) carrying the per-launch token of `nos serve`. */
export const TOKEN_HEADER = 'x-nos-token';
