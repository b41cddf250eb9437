import { describe, expect, it } from 'vitest';
import {
  parseSearchConfig,
  PRESET_NAMES,
  searchConfigFromPreset,
} from '../../../src-main/contract/config';

describe('SearchConfig', () => {
  it.each(PRESET_NAMES.map((preset) => ({ preset })))('preset=$preset is valid', ({ preset }) => {
    expect(() => searchConfigFromPreset(preset)).not.toThrow();
  });

  it('keeps the paper settings in the paper preset', () => {
    const c = searchConfigFromPreset('paper');
    expect(c).toMatchObject({
      cells: 8,
      channels: 16,
      epochs: 25,
      batch: 64,
      weightLr: 0.025,
      momentum: 0.9,
      weightDecay: 3e-4,
      gradClip: 5,
      alphaLr: 6e-4,
      alphaWeightDecay: 1e-3,
      lambda: 1000,
      atReduction: 'mean',
      order: 'first',
      guidance: 'ags',
      trainFraction: 0.5,
    });
    expect(c.teacher).toMatchObject({ arch: 'pyramidnet', depth: 110, widen: 84, epochs: 300 });
  });

  it('merges nested teacher overrides into the preset', () => {
    const c = searchConfigFromPreset('quick', { teacher: { epochs: 9 } });
    expect(c.teacher.epochs).toBe(9);
    expect(c.teacher.arch).toBe('resnet18');
  });

  it.each([5, null, 'x', []])(
    'refuses teacher=%j instead of keeping the preset teacher',
    (teacher) => {
      expect(() => searchConfigFromPreset('quick', { teacher } as never)).toThrow(
        /teacher: expected an object of teacher settings/,
      );
    },
  );

  it.each([
    { field: 'space', input: { space: 'vgg' }, pattern: /space: .*"nos"\|"darts".*received "vgg"/ },
    {
      field: 'atReduction',
      input: { atReduction: 'max' },
      pattern: /atReduction: .*"mean"\|"sum"/,
    },
    { field: 'order', input: { order: 'third' }, pattern: /order: .*"first"\|"second"/ },
    {
      field: 'teacher.arch',
      input: { teacher: { arch: 'vgg' } },
      pattern: /teacher\.arch: .*"resnet18"\|"pyramidnet"/,
    },
    { field: 'batch', input: { batch: 0 }, pattern: /batch: .*received 0/ },
    {
      field: 'microBatch',
      input: { batch: 8, microBatch: 16 },
      pattern: /microBatch: must be at most batch \(8\)/,
    },
    {
      field: 'teacher.mode',
      input: { guidance: 'ags', teacher: { mode: 'none' } },
      pattern: /teacher\.mode: guidance 'ags' needs a teacher/,
    },
    {
      field: 'teacher.depth',
      input: { teacher: { arch: 'pyramidnet', depth: 100 } },
      pattern: /teacher\.depth: .*9n \+ 2/,
    },
  ])('refuses a bad $field, naming it', ({ input, pattern }) => {
    expect(() => parseSearchConfig(input)).toThrow(pattern);
  });

  it('accepts a search without teacher when guidance is none', () => {
    expect(parseSearchConfig({ guidance: 'none', teacher: { mode: 'none' } }).guidance).toBe(
      'none',
    );
  });
});
