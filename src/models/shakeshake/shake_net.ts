import { tf } from '../../tf.js';
import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import type { Linear } from '../../nn/linear.js';
import {
  Module,
  type ExampleShape,
  type ForwardOptions,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type ShapeProfile,
  type StateRecord,
} from '../../nn/module.js';
import { Generator } from '../../util/random.js';
import type { Sequential } from '../../nn/sequential.js';
import type { Model, StageInfo } from '../model.js';
import { type ResolvedShakeOptions, type ShakeOptions, type ShakeVariant, shakeVariantSchema } from './options.js';
import { resolveOptions } from '../resolve_options.js';
import { resolveShakeOptions } from './shake_shake.js';
import { archaiConvStd } from '../archai_init.js';

export interface ShakeNetOptions {
  numClasses?: number;
  shake?: ShakeOptions;
  variant?: ShakeVariant;
  /** Seeds the initial weights and the shake draws. Default 0. */
  seed?: number;
}

/**
 * What ShakeResNet and ShakeResNeXt share: a 3x3 stem, three stages, ReLU, global average pool
 * and a linear classifier. archai pools with avg_pool2d(8), which only fits 32x32 inputs; the
 * global mean is the same there and works for any input size.
 */
export abstract class ShakeNet extends Module implements Model {
  readonly numClasses: number;
  readonly shake: ResolvedShakeOptions;
  readonly variant: ShakeVariant;
  /** The model's own source of shake draws, used when forward gets none. */
  readonly rng: Generator;
  abstract readonly c_in: Conv2d;
  abstract readonly bn_in: BatchNorm2d | null;
  abstract readonly layer1: Sequential;
  abstract readonly layer2: Sequential;
  abstract readonly layer3: Sequential;
  abstract readonly fc_out: Linear;

  protected constructor(options: ShakeNetOptions) {
    super();
    this.numClasses = options.numClasses ?? 10;
    if (!Number.isInteger(this.numClasses) || this.numClasses < 1) {
      throw new RangeError(`numClasses must be a positive integer, got ${options.numClasses}`);
    }
    this.shake = resolveShakeOptions(options.shake);
    this.variant = resolveOptions(shakeVariantSchema, options.variant ?? 'archai', 'variant');
    // Weights come from Generator(seed) in the subclass; the shake draws from a stream forked off it.
    this.rng = new Generator(options.seed ?? 0).fork();
  }

  get options(): Readonly<Record<string, unknown>> {
    return { shake: this.shake, variant: this.variant };
  }

  /** Logits [N, numClasses] for NHWC float32 images. */
  forward(x: tf.Tensor, options: ForwardOptions = {}): tf.Tensor2D {
    if (x.rank !== 4) throw new RangeError(`expected NHWC images of rank 4, got shape [${x.shape}]`);
    const opts = { ...options, training: options.training ?? false, rng: options.rng ?? this.rng };
    return tf.tidy(() => {
      let h: tf.Tensor = this.c_in.forward(x);
      if (this.bn_in) h = this.bn_in.forward(h, opts);
      h = this.layer1.forward(h, opts);
      h = this.layer2.forward(h, opts);
      h = this.layer3.forward(h, opts);
      h = tf.mean(tf.relu(h), [1, 2]);
      return this.fc_out.forward(h) as tf.Tensor2D;
    });
  }

  profile(input: ExampleShape = [32, 32, 3]): ShapeProfile {
    let { shape, macs } = this.c_in.profile(input);
    for (const stage of [this.layer1, this.layer2, this.layer3]) {
      const p = stage.profile(shape);
      shape = p.shape;
      macs += p.macs;
    }
    macs += this.fc_out.profile([1, 1, shape[2]]).macs;
    return { shape: [1, 1, this.numClasses], macs };
  }

  /** Per-stage widths, output shapes, parameters and MACs (for a 32x32 input by default). */
  stages(input: ExampleShape = [32, 32, 3]): StageInfo[] {
    const out: StageInfo[] = [];
    const stem = this.c_in.profile(input);
    const countParams = (m: Module) => m.numParameters();
    out.push({
      name: 'c_in',
      blocks: 1,
      inChannels: input[2],
      outChannels: this.c_in.outChannels,
      stride: 1,
      outputShape: stem.shape,
      params: countParams(this.c_in) + (this.bn_in ? countParams(this.bn_in) : 0),
      macs: stem.macs,
    });
    let shape = stem.shape;
    for (const [name, stage, stride] of [
      ['layer1', this.layer1, 1],
      ['layer2', this.layer2, 2],
      ['layer3', this.layer3, 2],
    ] as const) {
      const p = stage.profile(shape);
      out.push({
        name,
        blocks: stage.layers.length,
        inChannels: shape[2],
        outChannels: p.shape[2],
        stride,
        outputShape: p.shape,
        params: countParams(stage),
        macs: p.macs,
      });
      shape = p.shape;
    }
    out.push({
      name: 'fc_out',
      blocks: 1,
      inChannels: shape[2],
      outChannels: this.numClasses,
      stride: 1,
      outputShape: [1, 1, this.numClasses],
      params: countParams(this.fc_out),
      macs: this.fc_out.profile([1, 1, shape[2]]).macs,
    });
    return out;
  }

  /** archai's unused identity-block shortcut entries (layerS.I.shortcut.*), which loading skips. */
  isArchaiUnusedKey(key: string): boolean {
    const m = /^layer([123])\.(\d+)\.shortcut\./.exec(key);
    if (!m) return false;
    const block = [this.layer1, this.layer2, this.layer3][Number(m[1]) - 1].layers[Number(m[2])];
    return block !== undefined && (block as Module & { shortcut?: unknown }).shortcut === null;
  }

  override loadStateDict(record: StateRecord, options: LoadStateDictOptions = {}): LoadStateDictResult {
    return super.loadStateDict(record, { ignore: (k) => this.isArchaiUnusedKey(k), ...options });
  }

  protected makeStem(inChannels: number, rng: Generator): { c_in: Conv2d; bn_in: BatchNorm2d | null } {
    // archai's stem conv keeps its bias and has no BN after it; the Lua original normalises it.
    const c_in = new Conv2d({
      inChannels: 3,
      outChannels: inChannels,
      kernelSize: 3,
      padding: 1,
      bias: true,
      weightStd: archaiConvStd(3, inChannels),
      rng,
    });
    const bn_in = this.variant === 'paper' ? new BatchNorm2d({ numFeatures: inChannels }) : null;
    return { c_in, bn_in };
  }
}
