/**
 * Training a derived network from scratch (paper section 5.3; NOS-SPEC section 4, evaluation):
 * the network built from a genotype with the configured cells and channels and an auxiliary
 * tower at 2/3 depth (loss weight 0.4), trained with SGD (momentum 0.9, cosine learning rate
 * stepped per epoch, weight decay 3e-4 on CIFAR-10 and 5e-4 on CIFAR-100, gradient clip 5),
 * cutout 16 and drop-path raised linearly from 0 to 0.3 over the epochs, as in DARTS. No
 * attention transfer. Parameters are counted without the auxiliary tower, as DARTS counts them;
 * multiply-adds are measured on one image in inference mode (the tower does not run then).
 *
 * Importing this file registers derived networks with the export loader.
 */
import { validateGenotype, type Genotype } from '../contract/genotype';
import { countMultAdds, countParams } from '../nos/complexity';
import { DerivedNetwork, type DerivedConfig } from '../nos/derived';
import type { CheckpointData } from '../training/checkpoint';
import type { RunContext } from '../training/run-context';
import type { BatchSource } from './batches';
import { registerNetworkBuilder, type ExportableNetwork, type NetworkBuild } from './export';
import { cosineSchedule, linearDropPath } from './job-support';
import { trainClassifier, type TrainerMeta, type TrainOutcome } from './trainer';

/** The schedule and network size shared by evaluation and the random baseline. */
export interface DerivedTraining {
  cells: number;
  channels: number;
  epochs: number;
  lr: number;
  lrMin: number;
  momentum: number;
  /** Already resolved for the dataset (see resolveWeightDecay). */
  weightDecay: number;
  gradClip: number;
  auxiliaryWeight: number;
  dropPath: number;
  checkpointEverySteps: number;
  /** Images per forward pass (null: planned by the memory guard). */
  microBatch: number | null;
}

/** Build options of a derived network for a dataset of `shape` and `classes`. */
export function derivedConfig(
  t: Pick<DerivedTraining, 'cells' | 'channels' | 'auxiliaryWeight'>,
  shape: readonly [number, number, number],
  classes: number,
  seed: number,
): DerivedConfig {
  return {
    cells: t.cells,
    channels: t.channels,
    numClasses: classes,
    inputShape: [shape[0], shape[1], shape[2]],
    auxiliary: t.auxiliaryWeight > 0,
    dropPathProb: 0,
    seed,
  };
}

export function buildDerived(genotype: Genotype, config: DerivedConfig): DerivedNetwork {
  return new DerivedNetwork(genotype, config);
}

registerNetworkBuilder('derived', (build: NetworkBuild) => {
  if (build.kind !== 'derived') throw new Error('unreachable');
  const genotype = validateGenotype(build.genotype);
  return buildDerived(genotype, build.options as unknown as DerivedConfig) as ExportableNetwork;
});

export interface DerivedRun<E> {
  genotype: Genotype;
  training: DerivedTraining;
  seed: number;
  source: BatchSource;
  ctx: RunContext;
  phase: string;
  metricEpochOffset: number;
  checkpointPath: string;
  extra: E;
  resume?: CheckpointData<TrainerMeta<E>>;
}

export interface DerivedRunResult {
  outcome: TrainOutcome;
  net: DerivedNetwork;
  config: DerivedConfig;
  /** Parameters without the auxiliary tower (DARTS's count). */
  params: number;
  multAdds: number;
}

/** Builds the derived network of `genotype` and trains it; the caller disposes `net`. */
export async function trainDerived<E>(run: DerivedRun<E>): Promise<DerivedRunResult> {
  const { training: t, source } = run;
  const config = derivedConfig(t, source.shape, source.classes, run.seed);
  const net = buildDerived(run.genotype, config);
  try {
    const params = countParams(net, ['aux']);
    const multAdds = countMultAdds((x) => net.forward(x, false).logits, source.shape);
    const outcome = await trainClassifier({
      net,
      data: source,
      schedule: {
        epochs: t.epochs,
        lrAt: cosineSchedule(t.lr, t.lrMin, t.epochs),
        momentum: t.momentum,
        weightDecay: t.weightDecay,
        gradClip: t.gradClip,
        auxiliaryWeight: t.auxiliaryWeight,
        dropPathAt: linearDropPath(t.dropPath, t.epochs),
        checkpointEverySteps: t.checkpointEverySteps,
        microBatch: t.microBatch,
      },
      setDropPath: (p) => {
        net.dropPathProb = p;
      },
      ctx: run.ctx,
      phase: run.phase,
      metricEpochOffset: run.metricEpochOffset,
      checkpointPath: run.checkpointPath,
      extra: run.extra,
      resume: run.resume,
    });
    return { outcome, net, config, params, multAdds };
  } catch (err) {
    net.dispose();
    throw err;
  }
}
