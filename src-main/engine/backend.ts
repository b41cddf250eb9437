/**
 * Backend selection: which TensorFlow.js backend runs training here, and why.
 *
 * `auto` tries, best first: tfjs-node-gpu (CUDA), tfjs-node (native CPU), wasm (XNNPACK, one
 * thread per instance), cpu (pure JS). A backend the user names explicitly either loads or the
 * run fails with BACKEND_UNAVAILABLE and a hint: a named choice never falls back silently,
 * because a 50x slower run that looks like it succeeded is worse than a clear error.
 *
 * The native packages are optionalDependencies: their install downloads libtensorflow, which
 * fails offline, and npm then drops them. They are required lazily inside try/catch so a missing
 * package is a reason, not a crash.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node build registers neither gradients nor chained tensor methods (x.add(y));
// the union package's Node build registers both into the shared global registries. Code
// still imports its API from tfjs-core; this import is only for those side effects.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { NosError } from '../contract/errors';
import type { BackendName } from '../contract/primitives';
import { registerEngineKernels } from './kernels/register';

/** A backend that can actually be loaded (every BackendName but `auto`). */
export type ConcreteBackend = Exclude<BackendName, 'auto'>;

/** The order in which `auto` tries backends: fastest first. */
export const AUTO_ORDER: readonly ConcreteBackend[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

export interface BackendInfo {
  /** The backend in our vocabulary (never `auto`: the one `auto` chose). */
  name: ConcreteBackend;
  /** The name tfjs-core knows it by (`tensorflow`, `wasm`, `cpu`). */
  tfName: string;
  /** Version of the backend package; recorded with every run. */
  version: string;
  /** Better backends `auto` skipped, with the reason (empty for a named backend). */
  skipped: { name: ConcreteBackend; reason: string }[];
}

export interface BackendProbe {
  name: ConcreteBackend;
  usable: boolean;
  /** Why it cannot be used (null when usable). */
  reason: string | null;
  /** What to do to make it usable (null when usable). */
  fix: string | null;
  /** Package version when known. */
  version: string | null;
  /** True for the one backend `auto` picks. */
  autoPick: boolean;
}

type LoadOutcome =
  { ok: true; tfName: string; version: string } | { ok: false; reason: string; fix: string };

const NATIVE_PACKAGE: Record<'tfjs-node-gpu' | 'tfjs-node', string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
};

const CUDA_FIX =
  'install the NVIDIA driver, CUDA 11.2 and cuDNN 8.1 (the versions libtensorflow 2.9 is built ' +
  'against) and make their libraries visible (ldconfig or LD_LIBRARY_PATH), or choose ' +
  '--backend tfjs-node / wasm';

// ---------------------------------------------------------------------------------------------
// Loading one backend

/** Loads (once) the native tfjs-node or tfjs-node-gpu package and reports what happened. */
function loadNative(name: 'tfjs-node-gpu' | 'tfjs-node'): LoadOutcome {
  const pkg = NATIVE_PACKAGE[name];
  try {
    require.resolve(pkg);
  } catch {
    return {
      ok: false,
      reason: `${pkg} is not installed`,
      fix:
        `npm install ${pkg}@4.22.0 (its install downloads libtensorflow, so it needs internet` +
        (name === 'tfjs-node-gpu'
          ? '; Linux x64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1)'
          : ')'),
    };
  }
  if (name === 'tfjs-node-gpu' && process.platform === 'linux' && !nvidiaDeviceVisible()) {
    // libtensorflow built for CUDA silently computes on the CPU when no GPU is visible.
    return {
      ok: false,
      reason: 'no NVIDIA GPU is visible (/dev/nvidia0 and /proc/driver/nvidia are absent)',
      fix: 'install the NVIDIA driver (nvidia-smi must list the GPU), or choose --backend tfjs-node',
    };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional native package: must load lazily and may be absent
    require(pkg);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- same package, its version
    const { version } = require(`${pkg}/package.json`) as { version: string };
    return { ok: true, tfName: 'tensorflow', version };
  } catch (err) {
    return explainNativeFailure(pkg, err);
  }
}

function nvidiaDeviceVisible(): boolean {
  return existsSync('/dev/nvidia0') || existsSync('/proc/driver/nvidia/version');
}

/** Turns a failed `require` of a native package into a reason and a fix. */
function explainNativeFailure(pkg: string, err: unknown): LoadOutcome {
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split('\n')[0];
  if (
    /libcud|cudnn|libcublas|libcufft|libcurand|libcusolver|libcusparse|libnvinfer/i.test(message)
  ) {
    return { ok: false, reason: `${pkg} cannot find CUDA/cuDNN: ${firstLine}`, fix: CUDA_FIX };
  }
  if (/tfjs_binding|libtensorflow/i.test(message)) {
    return {
      ok: false,
      reason: `${pkg} is installed but its native library is missing: ${firstLine}`,
      fix: `npm rebuild ${pkg} (with internet access, so it can download libtensorflow)`,
    };
  }
  return {
    ok: false,
    reason: `${pkg} failed to load: ${firstLine}`,
    fix: `reinstall it (npm install ${pkg}@4.22.0) or choose --backend wasm`,
  };
}

/** Initialises a tfjs-registered backend (wasm or cpu) without making it the active one. */
async function loadRegistered(name: 'wasm' | 'cpu'): Promise<LoadOutcome> {
  if (name === 'wasm' && (globalThis as { WebAssembly?: unknown }).WebAssembly === undefined) {
    return { ok: false, reason: 'WebAssembly is not available', fix: 'use Node 20 or newer' };
  }
  const version = name === 'wasm' ? version_wasm : version_cpu;
  try {
    // Engine.initializeBackend runs the factory once and caches the instance without making it
    // the active backend (tf.setBackend would switch). It is private in the typings but stable
    // across tfjs 4.x; tf.findBackend would start it but not let us await an async init.
    const engine = tf.engine() as unknown as {
      initializeBackend(n: string): { success: boolean | Promise<boolean>; asyncInit: boolean };
    };
    const ok = await engine.initializeBackend(name).success;
    if (ok) return { ok: true, tfName: name, version };
    return { ok: false, reason: `tfjs ${name} backend failed to initialise`, fix: 'reinstall' };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      reason: `tfjs ${name} backend failed to initialise: ${msg}`,
      fix: `reinstall @tensorflow/tfjs-backend-${name} (npm ci)`,
    };
  }
}

const outcomes = new Map<ConcreteBackend, Promise<LoadOutcome>>();

/** Loads a backend at most once per process; later calls return the same outcome. */
function load(name: ConcreteBackend): Promise<LoadOutcome> {
  let pending = outcomes.get(name);
  if (!pending) {
    pending =
      name === 'tfjs-node-gpu' || name === 'tfjs-node'
        ? Promise.resolve(loadNative(name))
        : loadRegistered(name);
    outcomes.set(name, pending);
  }
  return pending;
}

// ---------------------------------------------------------------------------------------------
// Public API

const activated = new Map<ConcreteBackend, Promise<BackendInfo>>();

/**
 * Makes `requested` the active tfjs backend, with our kernels and gradients registered, and
 * returns what was loaded. Idempotent: repeated calls return the same info. `auto` logs one line
 * naming its choice and why each better backend was skipped.
 *
 * @throws NosError BACKEND_UNAVAILABLE when a named backend cannot be loaded (with a fix hint).
 */
export async function initBackend(
  requested: BackendName = 'auto',
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<BackendInfo> {
  const info = requested === 'auto' ? await chooseAuto(log) : await loadNamed(requested);
  await activate(info);
  return info;
}

async function loadNamed(name: ConcreteBackend): Promise<BackendInfo> {
  const outcome = await load(name);
  if (!outcome.ok) {
    throw new NosError(
      'BACKEND_UNAVAILABLE',
      `The ${name} backend was requested but cannot be used: ${outcome.reason}.`,
      `${outcome.fix}; or run with --backend auto to use the best available one.`,
      { backend: name },
    );
  }
  return { name, tfName: outcome.tfName, version: outcome.version, skipped: [] };
}

async function chooseAuto(log: (line: string) => void): Promise<BackendInfo> {
  const skipped: BackendInfo['skipped'] = [];
  for (const name of AUTO_ORDER) {
    const outcome = await load(name);
    if (outcome.ok) {
      const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
      log(`engine: backend auto chose ${name} ${outcome.version}${why ? ` (skipped ${why})` : ''}`);
      return { name, tfName: outcome.tfName, version: outcome.version, skipped };
    }
    skipped.push({ name, reason: outcome.reason });
  }
  throw new NosError(
    'BACKEND_UNAVAILABLE',
    `No TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}.`,
    'Reinstall the dependencies (npm ci); the cpu backend needs nothing else.',
  );
}

/** Registers our kernels for the backend once, then makes it the active one. */
async function activate(info: BackendInfo): Promise<void> {
  let pending = activated.get(info.name);
  if (!pending) {
    pending = (async () => {
      registerEngineKernels(info.tfName);
      return info;
    })();
    activated.set(info.name, pending);
  }
  await pending;
  if (tf.getBackend() !== info.tfName) {
    const ok = await tf.setBackend(info.tfName);
    if (!ok) {
      throw new NosError(
        'BACKEND_UNAVAILABLE',
        `The ${info.name} backend loaded but tfjs could not switch to it.`,
        'Run `nos doctor` to see which backends are usable.',
      );
    }
  }
  await tf.ready();
}

/**
 * Reports every backend: usable or not, why, how to fix it, and which one `auto` picks.
 * Loading is cached, so probing and then initialising does the work once. Probing does not
 * change the active backend.
 */
export async function probeBackends(): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = [];
  let picked = false;
  for (const name of AUTO_ORDER) {
    const outcome = await load(name);
    const autoPick = outcome.ok && !picked;
    picked ||= outcome.ok;
    probes.push({
      name,
      usable: outcome.ok,
      reason: outcome.ok ? null : outcome.reason,
      fix: outcome.ok ? null : outcome.fix,
      version: outcome.ok ? outcome.version : null,
      autoPick,
    });
  }
  return probes;
}
