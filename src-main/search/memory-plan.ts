/**
 * The search's memory guard (engine/memory.ts) before its first step: measure one bilevel step
 * of this supernet at micro-batches of 1 and 2 images, then train with the config's microBatch
 * if it fits, else the whole batch if it fits, else the largest micro-batch that does; refuse
 * the run (OUT_OF_MEMORY) when not even one image fits. Measuring changes no training state:
 * nothing is applied and the batch-norm running statistics are put back.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SearchConfig } from '../contract/config';
import { NosError } from '../contract/errors';
import { planRunMemory, type MemoryBudget, type MicroBatchPlan } from '../engine/memory';
import type { StateDict } from '../nn/module';
import type { Adam, Sgd } from '../training/optim';
import { Architect, type SearchNetwork, type StepBatch } from './architect';

export interface SearchMemoryInput {
  config: SearchConfig;
  net: SearchNetwork & {
    stateDict(): StateDict;
    loadStateDict(state: StateDict, strict?: boolean): void;
  };
  weightOpt: Sgd;
  alphaOpt: Adam;
  /** A train-split batch of `size` images as the loop prepares it (teacher stages included). */
  batchOf: (size: number) => StepBatch;
  disposeBatch: (batch: StepBatch) => void;
  /** The limit; the active backend's unless given. */
  budget?: MemoryBudget;
  log: (line: string) => void;
}

/** How the search splits its batch. @throws NosError OUT_OF_MEMORY */
export async function planSearchMicroBatch(input: SearchMemoryInput): Promise<MicroBatchPlan> {
  const { config, net } = input;
  // Unsplit, so that the probe at 2 images really passes 2 images at once.
  const architect = new Architect(net, input.weightOpt, input.alphaOpt, {
    ...config,
    microBatch: null,
  });
  // Both splits' full batches (images and teacher stages) stay alive during a step, whatever
  // the micro-batch: what one image of them takes, times two batches.
  const one = input.batchOf(1);
  const inputBytes = [one.x, ...(one.teacherStages ?? [])].reduce((s, t) => s + t.size * 4, 0);
  input.disposeBatch(one);

  const saved = net.stateDict();
  try {
    const what = `search (C=${config.channels}, ${config.cells} cells, batch ${config.batch})`;
    const plan = await planRunMemory({
      what,
      batchSize: config.batch,
      requestedMicroBatch: config.microBatch,
      residentBytes: 2 * config.batch * inputBytes,
      budget: input.budget,
      log: input.log,
      probe: (b) => {
        const batch = input.batchOf(b);
        try {
          tf.tidy(() => architect.probe(batch));
        } finally {
          input.disposeBatch(batch);
        }
      },
    });
    if (config.order === 'second' && plan.microBatch < config.batch) {
      // DARTS's unrolled step passes the whole train batch at once (architect.ts).
      throw new NosError(
        'OUT_OF_MEMORY',
        `${what} with order 'second' passes the whole train batch at once, and a batch of ` +
          `${config.batch} does not fit in memory (at most ${plan.microBatch} images do).`,
        `Set batch to ${plan.microBatch} or less, or use order 'first' (micro-batches then ` +
          'keep the batch size).',
        { suggestedBatch: plan.microBatch },
      );
    }
    return plan;
  } finally {
    net.loadStateDict(saved);
  }
}
