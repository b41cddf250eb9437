/**
 * The attention-guided search step as the search loop runs it (src-main/search/architect.ts):
 * one alpha step on a search-split batch and one weight step on a train-split batch, both with
 * CE + 1000 * AT against a frozen teacher whose stage outputs are computed inside the step, as
 * in the PyTorch peer's `search_step`. The tiny case matches the peer's tiny config (NOS space,
 * C=8, 5 cells, 28x28x1, batch 32; here in micro-batches of 8 so wasm's heap holds it) and
 * divides by the peer's median step in the same run. The same step with the weight half
 * data-parallel on 2 worker threads (src-main/search/parallel-step.ts, one wasm instance each)
 * shows what the threads buy on this machine. A teacher-training step is timed too.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BenchCase } from '../harness';
import { PEER_BATCH, TINY_PEER } from '../peer';
import { searchConfigFromPreset, type SearchConfig } from '../../src-main/contract/config';
import { Random } from '../../src-main/nn/random';
import { Supernet } from '../../src-main/nos/supernet';
import { Architect, type StepBatch } from '../../src-main/search/architect';
import { ParallelWeightStep } from '../../src-main/search/parallel-step';
import { crossEntropy, gradientsOf } from '../../src-main/search/steps';
import { buildTeacherNetwork, Teacher } from '../../src-main/search/teachers/teacher';
import { Adam, Sgd } from '../../src-main/training/optim';

const SHAPE: [number, number, number] = [28, 28, 1];
const DATASET = { imageShape: SHAPE, classCount: 10 };

function randomPixels(n: number, seed: number): tf.Tensor4D {
  const rng = new Random(seed);
  return tf.tensor4d(rng.uniformArray(n * 28 * 28, 0, 1), [n, ...SHAPE]);
}

function teacher(width: number): Teacher {
  const spec = { arch: 'resnet18' as const, width, depth: 110, widen: 84 };
  return new Teacher(buildTeacherNetwork(spec, DATASET, 1), {
    version: 1,
    spec,
    dataset: { checksum: '0'.repeat(64), name: 'random', ...DATASET, mean: [0.5], std: [0.25] },
    training: { epochs: 0, testTop1: null, source: 'trained' },
    inputSize: null,
  });
}

interface StepState {
  net: Supernet;
  teacher: Teacher;
  architect: Architect;
  sgd: Sgd;
  adam: Adam;
  pixels: tf.Tensor4D;
  labels: tf.Tensor1D;
  /** The weight half on worker threads, when the case asks for them. */
  parallel: ParallelWeightStep | null;
}

function searchStepCase(config: SearchConfig, threads = 1): BenchCase<StepState> {
  const where = threads > 1 ? ` weight step on ${threads} threads` : '';
  return {
    group: 'search-step',
    name: `architect step nos C=${config.channels} cells=${config.cells} 28x28x1 b${config.batch} mb${config.microBatch} AT+teacher${where}`,
    backends: ['wasm'],
    iterations: 3,
    warmup: 1,
    peer: TINY_PEER,
    notes: { batch: config.batch, microBatch: config.microBatch ?? config.batch, threads },
    async setup() {
      const net = new Supernet({ ...config, numClasses: 10, inputShape: SHAPE });
      const sgd = new Sgd(net.namedWeights(), { lr: 0.025, momentum: 0.9, weightDecay: 3e-4 });
      const adam = new Adam(
        net.alphaList().map((a, i) => [`alpha.${i}`, a] as [string, tf.Variable]),
        { lr: 6e-4, weightDecay: 1e-3 },
      );
      const pixels = randomPixels(config.batch, 2);
      const labels = tf.tensor1d(
        Array.from({ length: config.batch }, (_, i) => i % 10),
        'int32',
      );
      const t = teacher(16);
      const parallel =
        threads > 1
          ? await ParallelWeightStep.start({
              net,
              optimizer: sgd,
              config,
              hasTeacher: true,
              backend: 'wasm',
              threads,
            })
          : null;
      return {
        net,
        teacher: t,
        architect: new Architect(net, sgd, adam, config),
        sgd,
        adam,
        pixels,
        labels,
        parallel,
      };
    },
    async run(s) {
      // The teacher runs inside the step, as in the peer (twice: one batch per half step).
      const batch = (): StepBatch => ({
        x: tf.tidy(() => tf.div(tf.sub(s.pixels, 0.5), 0.25) as tf.Tensor4D),
        labels: s.labels,
        teacherStages: s.teacher.stages(s.pixels),
      });
      const search = batch();
      s.architect.alphaStep(search, search);
      tf.dispose([search.x, ...(search.teacherStages ?? [])]);
      const train = batch();
      if (s.parallel) await s.parallel.weightStep(train);
      else s.architect.weightStep(train);
      tf.dispose([train.x, ...(train.teacherStages ?? [])]);
    },
    async teardown(s) {
      await s.parallel?.close();
      [s.net, s.teacher, s.sgd, s.adam].forEach((o) => o.dispose());
      tf.dispose([s.pixels, s.labels]);
    },
  };
}

interface TeacherState {
  teacher: Teacher;
  sgd: Sgd;
  pixels: tf.Tensor4D;
  labels: tf.Tensor1D;
}

const teacherStepCase: BenchCase<TeacherState> = {
  group: 'teacher-step',
  name: 'resnet18 width 16 28x28x1 b64 SGD step',
  backends: ['wasm'],
  iterations: 3,
  warmup: 1,
  setup() {
    const t = teacher(16);
    return {
      teacher: t,
      sgd: new Sgd(t.net.namedWeights(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }),
      pixels: randomPixels(64, 3),
      labels: tf.tensor1d(
        Array.from({ length: 64 }, (_, i) => i % 10),
        'int32',
      ),
    };
  },
  run(s) {
    const { loss, grads } = gradientsOf(s.teacher.net.weights(), () =>
      crossEntropy(s.teacher.forward(s.pixels, true).logits, s.labels),
    );
    s.sgd.apply(grads);
    tf.dispose([loss, ...grads]);
  },
  teardown(s) {
    s.teacher.dispose();
    s.sgd.dispose();
    tf.dispose([s.pixels, s.labels]);
  },
};

/**
 * The peer's tiny network at the peer run's batch (16; its README measures 32): a step on wasm
 * takes about a minute on a loaded 2-core machine, and the whole bench should stay short.
 */
const BATCH = PEER_BATCH;

const tiny = searchConfigFromPreset('paper', {
  channels: 8,
  cells: 5,
  batch: BATCH,
  microBatch: 8,
  teacher: { arch: 'resnet18' },
});

export const cases: BenchCase[] = [searchStepCase(tiny), searchStepCase(tiny, 2), teacherStepCase];
