import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { searchConfigFromPreset } from '../../../src-main/contract/config';
import { obtainTeacher } from '../../../src-main/search/teacher-source';
import { importTeacher } from '../../../src-main/search/teachers/imported';
import { memoryRunContext } from '../../../src-main/training/run-context';
import { tinyDataset } from './fixtures';
import { useCpu } from './tf-cpu';

beforeAll(useCpu);

const DATA = tinyDataset();

/** A small CNN on 8x8x1 images with feature maps at 8, 4 and 2 pixels, 4 classes. */
function buildModel(downsamples = 2): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 1] });
  let h = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stage1' })
    .apply(input) as tfl.SymbolicTensor;
  for (let i = 0; i < downsamples; i++) {
    h = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: `down${i}` })
      .apply(h) as tfl.SymbolicTensor;
    h = tfl.layers
      .activation({ activation: 'relu', name: `stage${i + 2}` })
      .apply(h) as tfl.SymbolicTensor;
  }
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(h) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 4, name: 'logits' }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

/** Saves a model as model.json + one weight shard, the layout `model.save('file://')` writes. */
async function saveModel(model: tfl.LayersModel): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-model-'));
  await model.save(
    tfl.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData as ArrayBuffer;
      writeFileSync(join(dir, 'weights.bin'), Buffer.from(data));
      writeFileSync(
        join(dir, 'model.json'),
        JSON.stringify({
          modelTopology: artifacts.modelTopology,
          format: 'layers-model',
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return dir;
}

describe('imported teachers', () => {
  it('reads the stage outputs of a saved layers model and binds it to the search dataset', async () => {
    const model = buildModel();
    const dir = await saveModel(model);
    const before = tf.memory().numTensors;
    const { teacher, boundByDeclaration } = await importTeacher(dir, {}, DATA.meta);
    expect(boundByDeclaration).toBe(true);
    expect(teacher.meta.spec).toMatchObject({
      arch: 'imported',
      stageLayers: ['stage1', 'stage2', 'stage3'],
    });
    expect(teacher.meta.dataset.checksum).toBe(DATA.meta.checksum);

    // The stages are the saved model's own activations (same weights, teacher normalisation).
    const pixels = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
    const stages = teacher.stages(pixels);
    expect(stages.map((s) => s.shape)).toEqual([
      [2, 8, 8, 4],
      [2, 4, 4, 4],
      [2, 2, 2, 4],
    ]);
    const probe = tfl.model({ inputs: model.inputs, outputs: model.getLayer('stage3').output });
    const expected = tf.tidy(() => {
      const x = tf.div(tf.sub(pixels, DATA.meta.mean[0]), DATA.meta.std[0]);
      return probe.predict(x as unknown as tfl.Tensor) as unknown as tf.Tensor;
    });
    const got = Array.from(stages[2].dataSync());
    Array.from(expected.dataSync()).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    tf.dispose([pixels, expected, ...stages]);

    expect(() => teacher.assertGuides({ checksum: 'c'.repeat(64), name: 'cifar10' })).toThrow(
      /trained on dataset "tiny"/,
    );
    teacher.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses, through the search, a model whose teacher.json names another dataset', async () => {
    const model = buildModel();
    const dir = await saveModel(model);
    model.dispose();
    const other = tinyDataset({ name: 'other', checksum: 'b'.repeat(64) }).meta;
    writeFileSync(
      join(dir, 'teacher.json'),
      JSON.stringify({ version: 1, dataset: other, training: { epochs: 3 } }),
    );
    const config = searchConfigFromPreset('smoke', {
      teacher: { mode: 'import', importPath: dir, stageLayers: ['stage1', 'down0', 'stage3'] },
    });
    const { ctx } = memoryRunContext(mkdtempSync(join(tmpdir(), 'run-')));
    const before = tf.memory().numTensors;
    await expect(obtainTeacher(config, DATA, ctx, undefined)).rejects.toThrow(
      /trained on dataset "other".*"tiny"/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes the three largest resolutions of a deeper model, as a built-in ResNet-18 does', async () => {
    const model = buildModel(3);
    const { teacher } = await importTeacher(await saveModel(model), {}, DATA.meta);
    expect(teacher.meta.spec).toMatchObject({ stageLayers: ['stage1', 'stage2', 'stage3'] });
    teacher.dispose();
    model.dispose();
  });

  it('says what is wrong with a model it cannot use', async () => {
    const flat = await saveModel(buildModel(1));
    await expect(importTeacher(flat, {}, DATA.meta)).rejects.toThrow(/2 resolution\(s\)/);
    await expect(importTeacher(flat, { stageLayers: ['a', 'b', 'c'] }, DATA.meta)).rejects.toThrow(
      /"a", which is not a layer of the model/,
    );
    const rgb = tinyDataset().meta;
    rgb.imageShape = [8, 8, 3];
    await expect(importTeacher(flat, {}, rgb)).rejects.toThrow(/1 channel|3 channel/);
    await expect(
      importTeacher(mkdtempSync(join(tmpdir(), 'empty-')), {}, DATA.meta),
    ).rejects.toThrow(/model\.json is missing/);
  });
});
