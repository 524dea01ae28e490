/**
 * Splitting a training batch into micro-batches, for batches whose activations do not fit the
 * backend's memory (wasm: one 4 GiB heap; ShakeResNet-26 2x32d needs about 70 MiB an image in a
 * training step, so batch 64 aborts). Data-parallel replicas (replicas.ts) run these micro-batches
 * on several threads when a replica's share does not fit one micro-batch.
 *
 * Semantics of a split step (see trainStep): the batch of N is cut into k contiguous micro-batches
 * whose sizes differ by at most one; each runs forward and backward on its own and their gradients
 * are summed with weight n_i / N, so the loss and the gradient are the full batch's mean exactly for
 * every layer without batch statistics. BatchNorm normalises each micro-batch with its own statistics
 * ("ghost batch norm"; replicas whose shares fit one micro-batch synchronise it instead), and the
 * running statistics move once per step, towards the n_i / N-weighted mean of the micro-batches'
 * statistics (exactly the batch's mean for running_mean; running_var misses the spread between the
 * micro-batches' means). Each micro-batch draws its shake coefficients from its own generator, forked
 * in order from the step's, so the step is the same whichever thread runs which micro-batch. With
 * k = 1 nothing of this applies: the step is the plain full-batch step.
 */
import type { Model } from '../models/model.js';
import type { Generator } from '../util/random.js';

/** Working memory for activations on wasm that 'auto' plans with (of the 4 GiB heap). */
export const WASM_ACTIVATION_BUDGET_BYTES = 2.75 * 2 ** 30;

/**
 * Training-step bytes per image per element of the blocks' outputs, measured on wasm for
 * ShakeResNet-26 2x32d (peak tf.profile bytes: 71 MiB an image over 245,760 block-output elements,
 * 303 bytes), rounded up.
 */
const BYTES_PER_BLOCK_OUTPUT_ELEMENT = 340;

/** Sizes of the k near-equal contiguous micro-batches of a batch of n with at most m each. */
export function microBatchSizes(n: number, m: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`batch size must be a positive integer, got ${n}`);
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`micro-batch size must be a positive integer, got ${m}`);
  const k = Math.ceil(n / m);
  const base = Math.floor(n / k);
  const extra = n - base * k;
  return Array.from({ length: k }, (_, i) => base + (i < extra ? 1 : 0));
}

/** Estimated peak bytes of one training image of `model` at this input size (activations kept for backward). */
export function trainingBytesPerImage(model: Model, inputShape: [number, number, number]): number {
  let elements = 0;
  try {
    for (const s of model.stages(inputShape)) {
      const [h, w, c] = s.outputShape;
      elements += s.blocks * h * w * c;
    }
  } catch {
    elements = 0;
  }
  if (!(elements > 0)) elements = inputShape[0] * inputShape[1] * 256; // unknown model: a generous guess
  return elements * BYTES_PER_BLOCK_OUTPUT_ELEMENT;
}

/**
 * The micro-batch size 'auto' chooses on `backendName`: the whole batch except on wasm, where it is
 * the largest size whose estimated activations fit WASM_ACTIVATION_BUDGET_BYTES. Other backends
 * manage their own memory (and a GPU runs faster with the whole batch), so they get the batch.
 */
export function autoMicroBatch(model: Model, batchShape: readonly number[], backendName: string): number {
  const n = batchShape[0]!;
  if (backendName !== 'wasm') return n;
  const perImage = trainingBytesPerImage(model, [batchShape[1]!, batchShape[2]!, batchShape[3]!]);
  return Math.max(1, Math.min(n, Math.floor(WASM_ACTIVATION_BUDGET_BYTES / perImage)));
}

/** One micro-batch of a step: rows [start, start + size) of the batch and its shake generator. */
export interface MicroBatch {
  start: number;
  size: number;
  rng: Generator;
  /** A share of a synchronised data-parallel step: its rows in the whole batch (ForwardOptions.rows). */
  rows?: { offset: number; total: number };
}

/**
 * The micro-batches of one step: at most `microBatch` images each (0/undefined: the whole batch) and
 * at least `minParts` of them (one per replica). A single micro-batch keeps the step's generator; a
 * split step forks one per micro-batch, in order.
 */
export function planMicroBatches(
  batchShape: readonly number[],
  microBatch: number | undefined,
  rng: Generator,
  minParts = 1,
): MicroBatch[] {
  const n = batchShape[0]!;
  const micro = microBatch && microBatch > 0 ? microBatch : n;
  const sizes = microBatchSizes(n, Math.min(micro, n, Math.ceil(n / Math.max(1, minParts))));
  if (sizes.length === 1) return [{ start: 0, size: n, rng }];
  let start = 0;
  return sizes.map((size) => {
    const part = { start, size, rng: rng.fork() };
    start += size;
    return part;
  });
}
