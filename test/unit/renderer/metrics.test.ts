import { describe, expect, it } from 'vitest';
import { appendEpoch, lastValue, seriesByKey } from '../../../src-renderer/src/lib/metrics';

describe('seriesByKey', () => {
  it('keeps epoch-level points and sorts them by epoch', () => {
    const s = seriesByKey([
      {
        key: 'search/loss',
        points: [
          { epoch: 1, step: null, value: 1.5 },
          { epoch: 0, step: 3, value: 9 },
          { epoch: 0, step: null, value: 2.1 },
        ],
      },
    ]);
    expect(s['search/loss']).toEqual([
      { epoch: 0, value: 2.1 },
      { epoch: 1, value: 1.5 },
    ]);
  });

  it('falls back to the last step point of each epoch for per-step metrics', () => {
    const s = seriesByKey([
      {
        key: 'lr',
        points: [
          { epoch: 0, step: 0, value: 0.3 },
          { epoch: 0, step: 1, value: 0.2 },
        ],
      },
    ]);
    expect(s.lr).toEqual([{ epoch: 0, value: 0.2 }]);
  });
});

describe('appendEpoch', () => {
  it('adds a live epoch without touching the old series object and replaces a repeated epoch', () => {
    const before = { 'search/loss': [{ epoch: 0, value: 2 }] };
    const after = appendEpoch(before, 1, { 'search/loss': 1.8, 'at/loss': 0.3 });
    expect(before['search/loss']).toHaveLength(1);
    expect(after['search/loss']).toEqual([
      { epoch: 0, value: 2 },
      { epoch: 1, value: 1.8 },
    ]);
    const again = appendEpoch(after, 1, { 'search/loss': 1.7 });
    expect(again['search/loss'][1].value).toBe(1.7);
    expect(lastValue(again, 'at/loss')).toBe(0.3);
    expect(lastValue(again, 'val/top1')).toBeNull();
  });
});
