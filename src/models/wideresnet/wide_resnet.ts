import { tf } from '../../tf.js';
import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import { GlobalAvgPool } from '../../nn/global_avg_pool.js';
import { Linear } from '../../nn/linear.js';
import { Module, type ExampleShape, type ForwardOptions, type ShapeProfile } from '../../nn/module.js';
import { Sequential } from '../../nn/sequential.js';
import { Generator } from '../../util/random.js';
import type { Model, StageInfo } from '../model.js';
import { resolveOptions } from '../resolve_options.js';
import { type WideResNetOptions, wideResNetOptionsSchema } from './options.js';
import { profileOf, stageTable } from '../stage_table.js';
import { WideBasic } from './wide_basic.js';

export interface WideResNetConfig extends WideResNetOptions {
  /** 6n + 4: n WideBasic blocks a stage. */
  depth: number;
  /** Widen factor: stage widths 16k, 32k, 64k. */
  k: number;
  /** Default 10. */
  numClasses?: number;
  /** Seeds the initial weights and the dropout draws. Default 0. */
  seed?: number;
}

/** Why a depth and widen factor can't build a WideResNet, or null if they can: the one statement of its rules. */
export function wideResNetError(depth: number, k: number): string | null {
  if (!Number.isInteger(depth) || depth < 10 || (depth - 4) % 6 !== 0) {
    return `WideResNet depth must be 6n+4 with n >= 1 (10, 16, 22, 28, 34, 40, ...), got ${depth}`;
  }
  if (!Number.isInteger(k) || k < 1) return `WideResNet widen factor must be an integer >= 1, got ${k}`;
  return null;
}

/**
 * archai's WideResNet (Zagoruyko & Komodakis 2016): stem conv3x3 3→16 with bias, three stages of
 * (depth−4)/6 pre-activation WideBasic blocks of widths 16k, 32k, 64k and strides 1, 2, 2, then
 * BN, ReLU, global average pool and Linear.
 */
export class WideResNet extends Module implements Model {
  readonly numClasses: number;
  readonly depth: number;
  readonly k: number;
  readonly dropRate: number;
  /** The model's own source of dropout draws, used when forward gets none. */
  readonly rng: Generator;
  readonly conv1: Conv2d;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly bn1: BatchNorm2d;
  readonly linear: Linear;
  private readonly pool = new GlobalAvgPool();

  constructor(config: WideResNetConfig) {
    super();
    const { depth, k } = config;
    const err = wideResNetError(depth, k);
    if (err) throw new RangeError(err);
    this.numClasses = config.numClasses ?? 10;
    if (!Number.isInteger(this.numClasses) || this.numClasses < 1) {
      throw new RangeError(`numClasses must be a positive integer, got ${config.numClasses}`);
    }
    this.depth = depth;
    this.k = k;
    this.dropRate = resolveOptions(wideResNetOptionsSchema, { dropRate: config.dropRate }).dropRate;
    const rng = new Generator(config.seed ?? 0);
    // Weights come from Generator(seed); the dropout draws from a stream forked off it.
    this.rng = new Generator(config.seed ?? 0).fork();
    const n = (depth - 4) / 6;
    const widths = [16, 16 * k, 32 * k, 64 * k];
    this.conv1 = this.registerModule('conv1', new Conv2d({ inChannels: 3, outChannels: widths[0]!, kernelSize: 3, padding: 1, rng }));
    let inCh = widths[0]!;
    const layer = (outCh: number, stride: number) => {
      const blocks = Array.from({ length: n }, (_, i) => {
        const block = new WideBasic({ inChannels: inCh, outChannels: outCh, stride: i === 0 ? stride : 1, dropRate: this.dropRate, rng });
        inCh = outCh;
        return block;
      });
      return new Sequential(blocks);
    };
    this.layer1 = this.registerModule('layer1', layer(widths[1]!, 1));
    this.layer2 = this.registerModule('layer2', layer(widths[2]!, 2));
    this.layer3 = this.registerModule('layer3', layer(widths[3]!, 2));
    // PyTorch's momentum 0.1, not archai's 0.9 (see WideBasic).
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: inCh }));
    this.linear = this.registerModule('linear', new Linear({ inFeatures: inCh, outFeatures: this.numClasses, rng }));
  }

  get options(): Readonly<Record<string, unknown>> {
    return { dropRate: this.dropRate };
  }

  /** Logits [N, numClasses] for NHWC float32 images. */
  forward(x: tf.Tensor, options: ForwardOptions = {}): tf.Tensor2D {
    if (x.rank !== 4) throw new RangeError(`expected NHWC images of rank 4, got shape [${x.shape}]`);
    const opts = { ...options, training: options.training ?? false, rng: options.rng ?? this.rng };
    return tf.tidy(() => {
      let h = this.conv1.forward(x) as tf.Tensor;
      h = this.layer1.forward(h, opts);
      h = this.layer2.forward(h, opts);
      h = this.layer3.forward(h, opts);
      h = this.pool.forward(tf.relu(this.bn1.forward(h, opts)));
      return this.linear.forward(h) as tf.Tensor2D;
    });
  }

  profile(input: ExampleShape = [32, 32, 3]): ShapeProfile {
    return profileOf(this.stages(input));
  }

  /** Per-stage widths, output shapes, parameters and MACs (for a 32x32 input by default). */
  stages(input: ExampleShape = [32, 32, 3]): StageInfo[] {
    return stageTable(input, [
      { name: 'conv1', modules: [this.conv1], blocks: 1, stride: 1 },
      { name: 'layer1', modules: [this.layer1], blocks: this.layer1.layers.length, stride: 1 },
      { name: 'layer2', modules: [this.layer2], blocks: this.layer2.layers.length, stride: 2 },
      { name: 'layer3', modules: [this.layer3], blocks: this.layer3.layers.length, stride: 2 },
      { name: 'bn1+linear', modules: [this.bn1, this.pool, this.linear], blocks: 1, stride: 1 },
    ]);
  }
}
