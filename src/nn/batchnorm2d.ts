import { batchNormTrainHost, hasBatchNormKernels } from '../backend/host/batchnorm_kernels.js';
import { tf } from '../tf.js';
import { Module, type ExampleShape, type ForwardOptions, type ShapeProfile } from './module.js';

export interface BatchNorm2dOptions {
  numFeatures: number;
  /** Default 1e-5, as PyTorch. */
  eps?: number;
  /** Weight of the new batch statistic in the running averages. Default 0.1, as PyTorch. */
  momentum?: number;
}

/**
 * PyTorch's nn.BatchNorm2d on NHWC tensors. Training normalises with the batch statistics (biased
 * variance) and moves running_var towards the unbiased one, as PyTorch does; eval uses the running
 * statistics.
 */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly numBatchesTracked: tf.Variable;

  constructor(options: BatchNorm2dOptions) {
    super();
    const c = options.numFeatures;
    this.numFeatures = c;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.weight = this.registerParameter('weight', tf.ones([c]));
    this.bias = this.registerParameter('bias', tf.zeros([c]));
    this.runningMean = this.registerBuffer('running_mean', tf.zeros([c]));
    this.runningVar = this.registerBuffer('running_var', tf.ones([c]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', tf.scalar(0, 'int32'));
  }

  forward(x: tf.Tensor, options: ForwardOptions = {}): tf.Tensor4D {
    const input = x as tf.Tensor4D;
    if (!options.training) {
      return tf.batchNorm4d(
        input,
        this.runningMean as tf.Tensor1D,
        this.runningVar as tf.Tensor1D,
        this.bias as tf.Tensor1D,
        this.weight as tf.Tensor1D,
        this.eps,
      );
    }
    if (hasBatchNormKernels()) {
      return tf.tidy(() => {
        const { y, mean, variance, unbiased } = batchNormTrainHost(input, this.weight, this.bias, this.eps, options.batchNormSync ?? null);
        try {
          this.moveRunningStats(mean, unbiased);
        } finally {
          tf.dispose([mean, variance, unbiased]);
        }
        return y as tf.Tensor4D;
      });
    }
    if (options.batchNormSync)
      throw new Error(`synchronised BatchNorm needs archai-ts's BatchNorm kernels (wasm or cpu), not '${tf.getBackend()}'`);
    return tf.tidy(() => {
      const m = input.size / this.numFeatures;
      const { mean, variance } = tf.moments(input, [0, 1, 2]);
      this.updateRunningStats(mean, variance, m);
      return batchNormTrain(input, this.weight, this.bias, mean, variance, this.eps);
    });
  }

  profile(input: ExampleShape): ShapeProfile {
    return { shape: input, macs: 0 };
  }

  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    this.moveRunningStats(mean, count > 1 ? variance.mul(count / (count - 1)) : variance);
  }

  private moveRunningStats(mean: tf.Tensor, unbiasedVariance: tf.Tensor): void {
    const mom = this.momentum;
    this.runningMean.assign(this.runningMean.mul(1 - mom).add(mean.mul(mom)));
    this.runningVar.assign(this.runningVar.mul(1 - mom).add(unbiasedVariance.mul(mom)));
    this.numBatchesTracked.assign(this.numBatchesTracked.add(tf.scalar(1, 'int32')));
  }
}

/**
 * Batch normalisation with batch statistics and a closed-form gradient. tfjs's own gradient of
 * this expression tiles full-size intermediates; the closed form was measured 1.4x faster end to
 * end on wasm. mean and variance enter as constants: their dependence on x is inside the formula.
 */
function batchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Variable,
  beta: tf.Variable,
  mean: tf.Tensor,
  variance: tf.Tensor,
  eps: number,
): tf.Tensor4D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xt, g, b] = args as [tf.Tensor4D, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const invStd = tf.rsqrt(tf.add(variance, eps));
    const value = tf.batchNorm4d(xt, mean as tf.Tensor1D, variance as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, eps);
    // Saved, not captured: the caller's tidy frees mean once the forward pass returns.
    save([xt, mean, invStd, g]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, inv, gs] = saved;
        const m = xs.size / gs.size;
        const xhat = tf.mul(tf.sub(xs, mu), inv);
        const dBeta = tf.sum(dy, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(dy, xhat), [0, 1, 2]);
        // dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))
        const centred = tf.sub(tf.sub(dy, tf.div(dBeta, m)), tf.mul(xhat, tf.div(dGamma, m)));
        const dx = tf.mul(centred, tf.mul(gs, inv));
        return [dx, dGamma, dBeta];
      },
    };
  });
  return f(x, gamma, beta) as tf.Tensor4D;
}
