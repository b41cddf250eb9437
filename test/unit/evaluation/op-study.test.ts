import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opStudyConfigFromPreset } from '../../../src-main/contract/evaluation';
import { run, withAddedCost, type OpStudyRow } from '../../../src-main/evaluation/op-study-job';
import { OpStudyNet } from '../../../src-main/evaluation/op-study-net';
import { Random } from '../../../src-main/nn/random';
import { countMultAdds } from '../../../src-main/nos/complexity';
import { memoryRunContext } from '../../../src-main/training/run-context';
import { importSample, tempDir, useWasm } from './helpers';

describe('OpStudyNet', () => {
  beforeAll(useWasm);

  it("is the paper's ResNet-18 at width 64: 11.17M parameters, 555.42M multiply-adds", async () => {
    // Table 1's baseline row (CIFAR, 32x32x3, 10 classes).
    const net = new OpStudyNet(new Random(0), {
      inChannels: 3,
      classes: 10,
      width: 64,
      variant: 'baseline',
      stages: [1, 2, 3],
    });
    expect((net.paramCount() / 1e6).toFixed(2)).toBe('11.17');
    const multAdds = countMultAdds((x) => net.forward(x, false).logits, [32, 32, 3]);
    expect((multAdds / 1e6).toFixed(2)).toBe('555.42');
    net.dispose();
  });

  it.each([
    'dynamic_conv_3x3',
    'dil_dynamic_conv_5x5',
    'spatial_attention',
    'channel_attention',
  ] as const)('variant=%s keeps shapes, adds cost and leaves no tensor behind', async (variant) => {
    const shape = { inChannels: 1, classes: 10, width: 4, stages: [1, 2, 3] };
    const base = new OpStudyNet(new Random(0), { ...shape, variant: 'baseline' });
    const net = new OpStudyNet(new Random(0), { ...shape, variant });
    const before = tf.memory().numTensors;
    const logits = tf.tidy(() => net.forward(tf.ones([2, 16, 16, 1]), true).logits);
    expect(logits.shape).toEqual([2, 10]);
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(net.paramCount()).toBeGreaterThan(base.paramCount());
    const f = (n: OpStudyNet) => countMultAdds((x) => n.forward(x, false).logits, [16, 16, 1]);
    expect(f(net)).toBeGreaterThan(f(base));
    base.dispose();
    net.dispose();
  });
});

describe('withAddedCost', () => {
  it('subtracts the baseline row', () => {
    const row = (variant: OpStudyRow['variant'], params: number, multAdds: number): OpStudyRow => ({
      variant,
      top1Error: 5,
      top5Error: 1,
      params,
      multAdds,
      addedParams: null,
      addedMultAdds: null,
    });
    const rows = withAddedCost([row('baseline', 100, 1000), row('channel_attention', 130, 1010)]);
    expect(rows[1]).toMatchObject({ addedParams: 30, addedMultAdds: 10 });
    expect(withAddedCost([row('spatial_attention', 1, 1)])[0].addedParams).toBeNull();
  });
});

describe('op-study job', () => {
  const tmp = tempDir('nos-eval-opstudy-');
  let datasetDir: string;
  beforeAll(async () => {
    datasetDir = await importSample(tmp.dir);
  });
  afterAll(tmp.cleanup);

  it('trains the smoke preset on the bundled sample and writes its table', async () => {
    const { ctx, record } = memoryRunContext(tmp.dir);
    const result = await run(
      {
        kind: 'op-study',
        runId: 1,
        runDir: tmp.dir,
        datasetDir,
        backend: 'wasm',
        config: opStudyConfigFromPreset('smoke'),
      },
      ctx,
    );
    expect(result.summary['baseline/added_params']).toBe(0);
    expect(result.summary['channel_attention/added_params']).toBeGreaterThan(0);
    expect(Number.isFinite(result.summary['channel_attention/top1_error'])).toBe(true);
    const table = JSON.parse(readFileSync(join(tmp.dir, 'op-study.json'), 'utf8'));
    expect(table.rows.map((r: OpStudyRow) => r.variant)).toEqual(['baseline', 'channel_attention']);
    expect(existsSync(join(tmp.dir, 'op-study.md'))).toBe(true);
    expect(record.artifacts.map((a) => a.kind)).toEqual(['op-study', 'op-study-table']);
  });
});
