import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from './tf-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionMap, attentionTransferLoss } from '../../../src-main/search/attention-transfer';

beforeAll(async () => {
  await useCpu();
});

/** Three NHWC stages at 8, 4 and 2 pixels, seeded. */
function stages(seed: number, channels = 4, batch = 2): tf.Tensor4D[] {
  return [8, 4, 2].map((s, j) =>
    tf.randomNormal([batch, s, s, channels * (j + 1)], 0, 1, 'float32', seed + j),
  ) as tf.Tensor4D[];
}

function value(t: tf.Scalar): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

describe('attentionMap', () => {
  it('gives rows of unit norm', () => {
    const [f] = stages(1);
    const m = attentionMap(f);
    const norms = tf.norm(m, 2, 1).dataSync();
    norms.forEach((n) => expect(n).toBeCloseTo(1, 5));
    tf.dispose([m, f]);
  });
});

describe('attentionTransferLoss', () => {
  it.each([{ reduction: 'mean' as const }, { reduction: 'sum' as const }])(
    'is zero for identical maps (reduction=$reduction)',
    ({ reduction }) => {
      const s = stages(3);
      expect(value(attentionTransferLoss(s, s, reduction))).toBeCloseTo(0, 7);
      tf.dispose(s);
    },
  );

  it('is unchanged by the scale of either network', () => {
    const s = stages(5);
    const t = stages(9);
    const scaled = s.map((x) => tf.mul(x, 37)) as tf.Tensor4D[];
    const a = value(attentionTransferLoss(s, t));
    const b = value(attentionTransferLoss(scaled, t));
    expect(a).toBeGreaterThan(0);
    expect(b).toBeCloseTo(a, 5);
    tf.dispose([...s, ...t, ...scaled]);
  });

  it.each([{ reduction: 'mean' as const }, { reduction: 'sum' as const }])(
    'stays within 1/2 * stages * 2 even for disjoint maps (reduction=$reduction)',
    ({ reduction }) => {
      // Disjoint supports: student energy on the left half, teacher on the right half.
      const half = (left: boolean) =>
        [8, 4, 2].map((sz) =>
          tf.tidy(() => {
            const cols = tf.less(tf.range(0, sz), sz / 2);
            const mask = tf.cast(left ? cols : tf.logicalNot(cols), 'float32');
            return tf.mul(tf.ones([1, sz, sz, 3]), tf.reshape(mask, [1, 1, sz, 1]));
          }),
        ) as tf.Tensor4D[];
      const s = half(true);
      const t = half(false);
      const loss = value(attentionTransferLoss(s, t, reduction));
      const bound = 0.5 * 3 * 2;
      expect(loss).toBeLessThanOrEqual(bound + 1e-6);
      if (reduction === 'sum') expect(loss).toBeCloseTo(bound, 5);
      tf.dispose([...s, ...t]);
    },
  );

  it('resizes the student when stage sizes differ and stays finite', () => {
    const s = stages(11);
    const t = [16, 8, 4].map((sz, j) =>
      tf.randomNormal([2, sz, sz, 5], 0, 1, 'float32', 20 + j),
    ) as tf.Tensor4D[];
    const loss = value(attentionTransferLoss(s, t));
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeGreaterThan(0);
    tf.dispose([...s, ...t]);
  });

  it('sends its gradient to the student and never to the teacher', () => {
    const s = stages(13);
    const t = stages(17);
    const grads = tf.grads((...xs: tf.Tensor[]) =>
      attentionTransferLoss(xs.slice(0, 3) as tf.Tensor4D[], xs.slice(3) as tf.Tensor4D[]),
    )([...s, ...t]);
    const absSum = grads.map((g) => tf.sum(tf.abs(g)).dataSync()[0]);
    absSum.slice(0, 3).forEach((v) => expect(v).toBeGreaterThan(0));
    absSum.slice(3).forEach((v) => expect(v).toBe(0));
    tf.dispose([...s, ...t, ...grads]);
  });

  it('leaves the tensor count unchanged', () => {
    const s = stages(19);
    const t = stages(23);
    const before = tf.memory().numTensors;
    value(attentionTransferLoss(s, t));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...s, ...t]);
  });
});
