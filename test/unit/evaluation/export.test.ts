import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDartsGenotype, parseGenotype } from '../../../src-main/contract/genotype';
import {
  exportGenotype,
  exportNetwork,
  loadExportedNetwork,
} from '../../../src-main/evaluation/export';
import { OpStudyNet } from '../../../src-main/evaluation/op-study-net';
import { sampleGenotype } from '../../../src-main/evaluation/random-genotype';
import { Random } from '../../../src-main/nn/random';
import { tempDir, useWasm } from './helpers';

const options = {
  inChannels: 1,
  classes: 10,
  width: 4,
  variant: 'channel_attention' as const,
  stages: [1, 2, 3],
};

const description = {
  format: 'nos-studio-network' as const,
  version: 1 as const,
  build: { kind: 'op-study-resnet18' as const, options },
  inputShape: [16, 16, 1] as [number, number, number],
  normalisation: { mean: [0.286], std: [0.353] },
  classNames: Array.from({ length: 10 }, (_, i) => `class ${i}`),
};

describe('network export', () => {
  const tmp = tempDir('nos-eval-export-');
  beforeAll(useWasm);
  afterAll(tmp.cleanup);

  it('reloads to exactly the predictions of the exported network', async () => {
    const net = new OpStudyNet(new Random(5), options);
    // Move batch-norm statistics off their initial values so buffers are exported too.
    tf.tidy(() => net.forward(tf.randomNormal([4, 16, 16, 1], 0, 1, 'float32', 1), true));
    const x = tf.randomNormal([3, 16, 16, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const before = tf.tidy(() => net.forward(x, false).logits);
    const dir = join(tmp.dir, 'net');
    const files = await exportNetwork(dir, { net, description });
    net.dispose();

    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'group1-shard1of1.bin',
      'model.json',
      'README.md',
    ]);
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(modelJson.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toContain(
      'layer1.0.bn1.mean',
    );

    const tensorsBefore = tf.memory().numTensors;
    const loaded = await loadExportedNetwork(dir);
    const after = loaded.predict(x);
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    expect(loaded.description.classNames).toHaveLength(10);
    tf.dispose([after]);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    tf.dispose([x, before]);
  });

  it('normalises raw pixels with the exported mean and std', async () => {
    const loaded = await loadExportedNetwork(join(tmp.dir, 'net'));
    const y = loaded.normalise(tf.fill([1, 1, 1, 1], 255) as tf.Tensor4D);
    expect(y.dataSync()[0]).toBeCloseTo((1 - 0.286) / 0.353, 5);
    y.dispose();
    loaded.dispose();
  });

  it('writes a README that says how to load it', () => {
    const readme = readFileSync(join(tmp.dir, 'net', 'README.md'), 'utf8');
    expect(readme).toMatch(/loadExportedNetwork/);
    expect(readme).toMatch(/tf\.io\.loadWeights/);
    expect(readme).toMatch(/16 x 16 pixels with 1 channel/);
  });

  it.each([
    {
      damage: 'missing shard',
      apply: (dir: string) => writeFileSync(join(dir, 'group1-shard1of1.bin'), ''),
    },
    { damage: 'not json', apply: (dir: string) => writeFileSync(join(dir, 'model.json'), '{') },
    {
      damage: 'foreign model.json',
      apply: (dir: string) => writeFileSync(join(dir, 'model.json'), '{"format":"layers-model"}'),
    },
  ])('refuses a damaged export: damage=$damage', async ({ apply }) => {
    const net = new OpStudyNet(new Random(5), options);
    const dir = join(tmp.dir, 'damaged');
    await exportNetwork(dir, { net, description });
    net.dispose();
    apply(dir);
    await expect(loadExportedNetwork(dir)).rejects.toThrow(/not a NOS Studio network export/);
  });

  it('names a folder without model.json', async () => {
    await expect(loadExportedNetwork(join(tmp.dir, 'nowhere'))).rejects.toThrow(/does not exist/);
  });
});

describe('exportGenotype', () => {
  const tmp = tempDir('nos-eval-genotype-');
  afterAll(tmp.cleanup);

  it('writes NOS JSON and, for the darts space, DARTS text that parse back', () => {
    const darts = sampleGenotype('darts', new Random(1));
    const files = exportGenotype(join(tmp.dir, 'd'), darts);
    expect(files.map((f) => f.split('/').pop())).toEqual(['genotype.json', 'genotype.darts.txt']);
    expect(parseGenotype(readFileSync(files[0], 'utf8'))).toEqual(darts);
    expect(parseDartsGenotype(readFileSync(files[1], 'utf8'))).toEqual(darts);
  });

  it('writes only NOS JSON for the nos space', () => {
    const nos = sampleGenotype('nos', new Random(1));
    exportGenotype(join(tmp.dir, 'n'), nos);
    expect(existsSync(join(tmp.dir, 'n', 'genotype.darts.txt'))).toBe(false);
    expect(parseGenotype(readFileSync(join(tmp.dir, 'n', 'genotype.json'), 'utf8'))).toEqual(nos);
  });
});
