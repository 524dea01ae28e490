import { tf } from '../../tf.js';
import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import { convBatchNormEval } from '../../nn/fold_batchnorm.js';
import { GlobalAvgPool } from '../../nn/global_avg_pool.js';
import { Linear } from '../../nn/linear.js';
import { Module, type ExampleShape, type ForwardOptions, type ShapeProfile } from '../../nn/module.js';
import { Sequential } from '../../nn/sequential.js';
import { Generator } from '../../util/random.js';
import type { Model, StageInfo } from '../model.js';
import { profileOf, stageTable } from '../stage_table.js';
import { PyramidBasicBlock } from './basic_block.js';
import { PyramidBottleneck } from './bottleneck.js';
import { resolveOptions } from '../resolve_options.js';
import { type ResolvedShakeDropOptions, type ShakeDropOptions, shakeDropSchema } from './options.js';
import { pyramidPlan } from './plan.js';
import { archaiConvStd } from '../archai_init.js';

export interface PyramidNetConfig {
  /** 6n + 2 with basic blocks, 9n + 2 with bottlenecks: n blocks a stage. */
  depth: number;
  /** Total widening over the 3n blocks. */
  alpha: number;
  bottleneck: boolean;
  shakeDrop?: ShakeDropOptions;
  /** Default 10. */
  numClasses?: number;
  /** Seeds the initial weights and the ShakeDrop draws. Default 0. */
  seed?: number;
}

/**
 * archai's CIFAR PyramidNet (Han et al. 2017) with ShakeDrop: stem conv3x3 3→16 and BN (no ReLU),
 * three stages of blocks whose widths grow by alpha/3n a block (strides 1, 2, 2), then BN, ReLU,
 * global average pool and Linear. Weights as archai's: convs N(0, sqrt(2/(k·k·out))), BN 1 and 0,
 * the Linear PyTorch's default.
 */
export class PyramidNet extends Module implements Model {
  readonly numClasses: number;
  readonly depth: number;
  readonly alpha: number;
  readonly bottleneck: boolean;
  readonly shakeDrop: ResolvedShakeDropOptions;
  /** The model's own source of ShakeDrop draws, used when forward gets none. */
  readonly rng: Generator;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly bn_final: BatchNorm2d;
  readonly fc: Linear;
  private readonly pool = new GlobalAvgPool();

  constructor(config: PyramidNetConfig) {
    super();
    const { depth, alpha, bottleneck } = config;
    this.numClasses = config.numClasses ?? 10;
    if (!Number.isInteger(this.numClasses) || this.numClasses < 1) {
      throw new RangeError(`numClasses must be a positive integer, got ${config.numClasses}`);
    }
    this.shakeDrop = resolveOptions(shakeDropSchema, config.shakeDrop, 'shakeDrop');
    const plan = pyramidPlan(depth, alpha, bottleneck, this.shakeDrop.p_final);
    this.depth = depth;
    this.alpha = alpha;
    this.bottleneck = bottleneck;
    const rng = new Generator(config.seed ?? 0);
    // Weights come from Generator(seed); the ShakeDrop draws from a stream forked off it.
    this.rng = new Generator(config.seed ?? 0).fork();
    const stem = new Conv2d({
      inChannels: 3,
      outChannels: 16,
      kernelSize: 3,
      padding: 1,
      bias: false,
      weightStd: archaiConvStd(3, 16),
      rng,
    });
    this.conv1 = this.registerModule('conv1', stem);
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: 16 }));
    const Block = bottleneck ? PyramidBottleneck : PyramidBasicBlock;
    const layer = (blocks: (typeof plan)[number]) => new Sequential(blocks.map((b) => new Block({ ...b, gate: this.shakeDrop.gate, rng })));
    this.layer1 = this.registerModule('layer1', layer(plan[0]!));
    this.layer2 = this.registerModule('layer2', layer(plan[1]!));
    this.layer3 = this.registerModule('layer3', layer(plan[2]!));
    const width = plan[2]![plan[2]!.length - 1]!.outChannels;
    this.bn_final = this.registerModule('bn_final', new BatchNorm2d({ numFeatures: width }));
    this.fc = this.registerModule('fc', new Linear({ inFeatures: width, outFeatures: this.numClasses, rng }));
  }

  get options(): Readonly<Record<string, unknown>> {
    return { shakeDrop: this.shakeDrop };
  }

  /** Logits [N, numClasses] for NHWC float32 images. */
  forward(x: tf.Tensor, options: ForwardOptions = {}): tf.Tensor2D {
    if (x.rank !== 4) throw new RangeError(`expected NHWC images of rank 4, got shape [${x.shape}]`);
    const opts = { ...options, training: options.training ?? false, rng: options.rng ?? this.rng };
    return tf.tidy(() => {
      let h: tf.Tensor = opts.training
        ? this.bn1.forward(this.conv1.forward(x), opts)
        : convBatchNormEval(this.conv1, this.bn1, x as tf.Tensor4D, false);
      h = this.layer1.forward(h, opts);
      h = this.layer2.forward(h, opts);
      h = this.layer3.forward(h, opts);
      h = this.pool.forward(tf.relu(this.bn_final.forward(h, opts)));
      return this.fc.forward(h) as tf.Tensor2D;
    });
  }

  profile(input: ExampleShape = [32, 32, 3]): ShapeProfile {
    return profileOf(this.stages(input));
  }

  /** Per-stage widths, output shapes, parameters and MACs (for a 32x32 input by default). */
  stages(input: ExampleShape = [32, 32, 3]): StageInfo[] {
    return stageTable(input, [
      { name: 'conv1+bn1', modules: [this.conv1, this.bn1], blocks: 1, stride: 1 },
      { name: 'layer1', modules: [this.layer1], blocks: this.layer1.layers.length, stride: 1 },
      { name: 'layer2', modules: [this.layer2], blocks: this.layer2.layers.length, stride: 2 },
      { name: 'layer3', modules: [this.layer3], blocks: this.layer3.layers.length, stride: 2 },
      { name: 'bn_final+fc', modules: [this.bn_final, this.pool, this.fc], blocks: 1, stride: 1 },
    ]);
  }
}
