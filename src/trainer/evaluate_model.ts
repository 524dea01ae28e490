import type { DataLoader } from '../data/loader.js';
import type { Model } from '../models/model.js';
import { tf } from '../tf.js';
import type { Replicas } from '../parallel/replicas.js';
import { crossEntropy } from '../engine/step.js';

export interface EvalMetrics {
  /** Mean cross-entropy over the split. */
  loss: number;
  /** Fractions in [0, 1]. */
  top1: number;
  top5: number;
  n: number;
}

/**
 * Scores a model in eval mode over one pass of a loader. Sums stay on the device and are read
 * once at the end, so evaluation never waits on the host between batches. With `replicas`, each
 * batch's rows are shared among them (same results, one core each).
 */
export async function evaluateModel(
  model: Model,
  loader: DataLoader,
  epoch = 0,
  replicas?: Replicas | null,
  onBatch?: (done: number) => void,
): Promise<EvalMetrics> {
  let done = 0;
  let sums = tf.zeros([3]);
  let n = 0;
  for await (const batch of loader.batches(epoch)) {
    const x = tf.tensor4d(batch.x, [batch.n, loader.dataset.height, loader.dataset.width, loader.dataset.channels]);
    let logits: tf.Tensor2D;
    try {
      logits = replicas ? await replicas.predict(model, x) : tf.tidy(() => model.forward(x, { training: false }));
    } finally {
      x.dispose();
    }
    const next = tf.tidy(() => {
      const y = tf.tensor1d(batch.y, 'int32');
      const k = Math.min(5, logits.shape[1]);
      const { indices } = tf.topk(logits, k);
      const hits = tf.cast(tf.equal(indices, tf.expandDims(y, 1)), 'float32');
      const top1 = tf.sum(tf.slice(hits, [0, 0], [-1, 1]));
      const top5 = tf.sum(hits);
      const loss = tf.mul(crossEntropy(logits, y), batch.n);
      return tf.add(sums, tf.stack([loss, top1, top5]));
    });
    logits.dispose();
    sums.dispose();
    sums = next;
    n += batch.n;
    onBatch?.(++done);
    // Lets signals and timers run between batches whatever the backend.
    await new Promise((r) => setImmediate(r));
  }
  const [loss, top1, top5] = await sums.data();
  sums.dispose();
  return { loss: loss / n, top1: top1 / n, top5: top5 / n, n };
}
