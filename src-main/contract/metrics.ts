/**
 * Metric keys: one spelling everywhere (store, charts, CLI). A metric is a number recorded for a
 * run at an epoch (and optionally a step); it never goes to the log.
 *
 * Units: accuracies (`…/top1`, `…/top5`) are fractions in [0, 1]; errors (`…_error`) are
 * percentages, as the paper reports them; losses, seconds and counts are plain numbers.
 */
export const METRIC = {
  trainLoss: 'train/loss',
  trainTop1: 'train/top1',
  searchLoss: 'search/loss',
  searchTop1: 'search/top1',
  atLoss: 'at/loss',
  alphaEntropyNormal: 'alpha/entropy_normal',
  alphaEntropyReduce: 'alpha/entropy_reduce',
  paramFreeOps: 'genotype/param_free_ops',
  evalLoss: 'eval/loss',
  evalTop1: 'eval/top1',
  evalTop5: 'eval/top5',
  evalTop1Error: 'eval/top1_error',
  evalTop5Error: 'eval/top5_error',
  lr: 'lr',
  epochSeconds: 'time/epoch_s',
  imagesPerSecond: 'speed/images_per_s',
  params: 'model/params',
  multAdds: 'model/mult_adds',
} as const;

export type MetricKey = (typeof METRIC)[keyof typeof METRIC];

/**
 * Prefix of the metrics of a teacher trained inside a search run (`teacher/train/loss`), which
 * would otherwise share keys and epochs with the search's own metrics.
 */
export const TEACHER_METRIC_PREFIX = 'teacher/';
