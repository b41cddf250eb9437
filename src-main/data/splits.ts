/**
 * The two halves of the training images a search uses (DARTS and NOS, paper section 4.1: the
 * 50k CIFAR-10 training images split 25k/25k): the train split fits network weights, the search
 * split fits alphas. The held-out test set is a separate file and never appears here.
 */
import { NosError } from '../contract/errors';
import { mixSeed, permutation } from './rng';

export interface SearchSplits {
  /** Indices into the training images used for network weights (ascending). */
  train: Int32Array;
  /** Indices into the training images used for alphas (ascending), disjoint from `train`. */
  search: Int32Array;
}

/** Salt so the split order differs from the pipeline's shuffles under the same seed. */
const SPLIT_SALT = 0x5b117;

/**
 * Splits 0..trainCount-1 by `seed`: `fraction` of the images go to the train split, the rest to
 * the search split. `limit` caps each half (quick searches on a subset); the same seed always
 * gives the same halves.
 */
export function searchSplits(
  trainCount: number,
  seed: number,
  fraction = 0.5,
  limit?: number,
): SearchSplits {
  if (!(fraction > 0 && fraction < 1)) {
    throw new NosError(
      'BAD_INPUT',
      `Split fraction ${fraction} is outside (0, 1).`,
      'Use 0.5 for the usual half/half split.',
    );
  }
  const nTrain = Math.floor(trainCount * fraction);
  const nSearch = trainCount - nTrain;
  if (nTrain === 0 || nSearch === 0) {
    throw new NosError(
      'BAD_INPUT',
      `${trainCount} training images cannot be split ${fraction}/${1 - fraction} with both halves non-empty.`,
      'Import a dataset with more training images.',
    );
  }
  const order = permutation(trainCount, mixSeed(seed, SPLIT_SALT));
  const cap = (n: number): number => (limit === undefined ? n : Math.min(n, Math.max(1, limit)));
  const train = order.slice(0, cap(nTrain)).sort();
  const search = order.slice(nTrain, nTrain + cap(nSearch)).sort();
  return { train, search };
}
