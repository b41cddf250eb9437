import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTeacherConfig } from '../../../src-main/contract/config';
import { memoryRunContext } from '../../../src-main/training/run-context';
import { buildTeacherNetwork, Teacher } from '../../../src-main/search/teachers/teacher';
import { trainTeacher } from '../../../src-main/search/teachers/train-teacher';
import { tinyDataset } from './fixtures';
import { useCpu } from './tf-cpu';

beforeAll(useCpu);

const DATA = { imageShape: [8, 8, 1] as [number, number, number], classCount: 4 };

describe('teacher networks', () => {
  it.each([
    { arch: 'resnet18' as const, depth: 110, widen: 84, width: 4, channels: [4, 8, 16] },
    // depth 11: one bottleneck per stage; widths 16+4, 16+8, 16+12 (x4 expansion)
    { arch: 'pyramidnet' as const, depth: 11, widen: 12, width: 16, channels: [80, 96, 112] },
  ])('arch=$arch gives logits and three stages at H, H/2, H/4', (spec) => {
    const net = buildTeacherNetwork(spec, DATA, 1);
    const x = tf.randomNormal([2, 8, 8, 1]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const o = net.forward(x, false);
      return [o.logits, ...o.stages];
    });
    expect(out[0].shape).toEqual([2, 4]);
    expect(out.slice(1).map((s) => s.shape)).toEqual([
      [2, 8, 8, spec.channels[0]],
      [2, 4, 4, spec.channels[1]],
      [2, 2, 2, spec.channels[2]],
    ]);
    tf.dispose(out);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    net.dispose();
  });

  it('paper teachers have the published sizes on CIFAR-10 (ResNet-18 11.17M, PyramidNet-110 a=84 2.5M)', () => {
    const cifar = { imageShape: [32, 32, 3] as [number, number, number], classCount: 10 };
    const count = (spec: Parameters<typeof buildTeacherNetwork>[0]) => {
      const net = buildTeacherNetwork(spec, cifar, 0);
      const n = net.paramCount();
      net.dispose();
      return n;
    };
    // NOS-SPEC section 5: Table 1 (ResNet-18, 11.17 M) and Table 2 (PyramidNet teacher, 2.5 M).
    const resnet = count({ arch: 'resnet18', width: 64, depth: 0, widen: 0 });
    expect(Math.abs(resnet / 11.17e6 - 1)).toBeLessThan(0.01);
    const pyramid = count({ arch: 'pyramidnet', width: 16, depth: 110, widen: 84 });
    expect(Math.abs(pyramid / 2.5e6 - 1)).toBeLessThan(0.03);
  });

  it('refuses a PyramidNet depth that is not 9n + 2', () => {
    expect(() =>
      buildTeacherNetwork({ arch: 'pyramidnet', depth: 50, widen: 8, width: 8 }, DATA, 0),
    ).toThrow(/9n \+ 2.*50/);
  });
});

describe('Teacher', () => {
  it('trains, saves, loads with the same outputs, and refuses another dataset', async () => {
    const data = tinyDataset();
    const { ctx, record } = memoryRunContext('/tmp');
    const config = parseTeacherConfig({
      arch: 'resnet18',
      width: 4,
      epochs: 2,
      batch: 16,
      lr: 0.05,
      schedule: 'cosine',
      cropPadding: 1,
    });
    const before = tf.memory().numTensors;
    const teacher = await trainTeacher({ dataset: data, config, ctx, testImages: 32 });
    expect(record.progress.length).toBe(8);
    expect(record.progress[0].phase).toBe('teacher');
    const losses = record.metrics.filter((m) => m.values['train/loss'] !== undefined);
    expect(losses.length).toBe(2);
    expect(teacher.meta.training.testTop1).not.toBeNull();

    const dir = mkdtempSync(join(tmpdir(), 'teacher-'));
    teacher.save(dir);
    const loaded = Teacher.load(dir);
    const x = tf.randomUniform([2, 8, 8, 1]) as tf.Tensor4D;
    const a = teacher.stages(x);
    const b = loaded.stages(x);
    a.forEach((t, i) => expect(Array.from(b[i].dataSync())).toEqual(Array.from(t.dataSync())));
    tf.dispose([...a, ...b, x]);

    expect(() => loaded.assertGuides({ checksum: data.meta.checksum, name: 'tiny' })).not.toThrow();
    expect(() => loaded.assertGuides({ checksum: 'b'.repeat(64), name: 'cifar10' })).toThrow(
      /trained on dataset "tiny".*"cifar10"/,
    );
    teacher.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('continues a paused training from its checkpoint to the weights of an uninterrupted one', async () => {
    const data = tinyDataset();
    const config = parseTeacherConfig({
      arch: 'resnet18',
      width: 4,
      epochs: 2,
      batch: 16,
      lr: 0.05,
      schedule: 'cosine',
      cropPadding: 1,
    });
    const train = (dir: string, control?: () => 'run' | 'pause') =>
      trainTeacher({
        dataset: data,
        config,
        ctx: memoryRunContext(dir, control).ctx,
        testImages: 0,
        checkpointPath: join(dir, 'teacher-training.nosckpt'),
      });
    const a = await train(mkdtempSync(join(tmpdir(), 'teacher-a-')));

    // 4 steps per epoch: pause before the 7th step (epoch 2, step 3), then continue.
    const dirB = mkdtempSync(join(tmpdir(), 'teacher-b-'));
    let polls = 0;
    await expect(train(dirB, () => (++polls === 7 ? 'pause' : 'run'))).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(existsSync(join(dirB, 'teacher-training.nosckpt'))).toBe(true);
    let resumedPolls = 0;
    const b = await train(dirB, () => (++resumedPolls, 'run'));
    expect(resumedPolls).toBe(2);
    expect(existsSync(join(dirB, 'teacher-training.nosckpt'))).toBe(false);

    const sa = a.net.stateDict();
    const sb = b.net.stateDict();
    expect(Object.keys(sb)).toEqual(Object.keys(sa));
    for (const k of Object.keys(sa)) expect(Array.from(sb[k].data)).toEqual(Array.from(sa[k].data));
    a.dispose();
    b.dispose();
  });

  it('trains in micro-batches, and refuses before any step a teacher of which one image does not fit', async () => {
    const data = tinyDataset();
    const config = parseTeacherConfig({ width: 4, epochs: 1, batch: 16, microBatch: 8 });
    const before = tf.memory().numTensors;
    const tiny = { backend: 'wasm' as const, limitBytes: 1024, source: 'a 1 KiB test heap' };
    const refused = memoryRunContext('/tmp');
    await expect(
      trainTeacher({ dataset: data, config, ctx: refused.ctx, testImages: 0, memoryBudget: tiny }),
    ).rejects.toMatchObject({ code: 'OUT_OF_MEMORY', hint: expect.stringContaining('channels') });
    expect(refused.record.progress).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);

    const { ctx, record } = memoryRunContext('/tmp');
    const teacher = await trainTeacher({ dataset: data, config, ctx, testImages: 0 });
    expect(record.logs.map((l) => l.message)).toContainEqual(
      expect.stringContaining('batch 16 as 2 micro-batches of 8 (gradients accumulated)'),
    );
    expect(record.progress.length).toBe(4);
    teacher.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('says what is missing when a folder holds no teacher', () => {
    expect(() => Teacher.load(mkdtempSync(join(tmpdir(), 'none-')))).toThrow(/teacher\.json/);
  });
});
