/**
 * Electron main entry. Kept small: everything heavy (store, job queue, TensorFlow.js probes) is
 * loaded by `startDesktop` once Electron is ready.
 */
import { startDesktop } from './desktop';

startDesktop({ devServerUrl: process.env.ELECTRON_RENDERER_URL }).catch((err: unknown) => {
  // Nothing can be shown without a window: report on stderr and leave with a failure code.
  console.error('NOS Studio failed to start:', err);
  process.exit(1);
});
