/**
 * `about` and `doctor`: what this installation is (versions, data folder, transport) and what
 * it can compute with (every TensorFlow.js backend probed by the engine). The probe loads
 * backends, so it runs once, when first asked, and is cached.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import type { AboutInfo, BackendProbe, DoctorReport } from '../contract';

/** The wasm backend's heap cannot grow past 4 GiB (see docs/architecture.md). */
const WASM_HEAP_BYTES = 4 * 1024 ** 3;

export interface SystemOptions {
  dataDir: string;
  transport: AboutInfo['transport'];
  nativeDialogs: boolean;
  appVersion: string;
  runtime: { electron: string | null; chrome: string | null };
}

function packageVersion(name: string): string {
  try {
    const req = createRequire(__filename);
    return (req(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The version in this app's package.json, found by walking up from this module. */
export function appPackageVersion(): string {
  for (let dir = __dirname, i = 0; i < 8; i++, dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'nos-studio' && pkg.version) return pkg.version;
    } catch {
      // An unreadable package.json further down is not ours: keep walking up.
    }
  }
  return '0.0.0';
}

export class SystemInfo {
  private probes: Promise<BackendProbe[]> | null = null;

  constructor(private readonly opts: SystemOptions) {}

  /** Every backend probed once (loading a backend takes a moment; results do not change). */
  probe(): Promise<BackendProbe[]> {
    this.probes ??= import('../engine').then((engine) => engine.probeBackends());
    return this.probes;
  }

  async about(): Promise<AboutInfo> {
    const probes = await this.probe();
    const picked = probes.find((p) => p.autoPick);
    return {
      app: { name: 'NOS Studio', version: this.opts.appVersion },
      versions: {
        node: process.versions.node,
        electron: this.opts.runtime.electron,
        chrome: this.opts.runtime.chrome,
        tfjs: packageVersion('@tensorflow/tfjs-core'),
      },
      backend: picked ? { name: picked.name, version: picked.version ?? 'unknown' } : null,
      platform: process.platform,
      arch: process.arch,
      dataDir: this.opts.dataDir,
      transport: this.opts.transport,
      nativeDialogs: this.opts.nativeDialogs,
    };
  }

  async doctor(): Promise<DoctorReport> {
    const probes = await this.probe();
    const picked = probes.find((p) => p.autoPick) ?? null;
    const warnings: string[] = [];
    if (!picked) {
      warnings.push('No compute backend loads here: training cannot run. See the reasons above.');
    } else if (picked.name === 'wasm' || picked.name === 'cpu') {
      warnings.push(
        `Training uses the ${picked.name} backend (no native TensorFlow here): quick presets ` +
          'are fine, the paper preset needs tfjs-node-gpu on a GPU machine.',
      );
    }
    return {
      probes,
      recommended: picked ? picked.name : null,
      memoryLimitBytes: picked?.name === 'wasm' ? WASM_HEAP_BYTES : null,
      cpus: cpus().length,
      totalMemoryBytes: totalmem(),
      warnings,
    };
  }
}
