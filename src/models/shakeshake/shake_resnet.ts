import type { BatchNorm2d } from '../../nn/batchnorm2d.js';
import type { Conv2d } from '../../nn/conv2d.js';
import { Linear } from '../../nn/linear.js';
import { Generator } from '../../util/random.js';
import { Sequential } from '../../nn/sequential.js';
import { ShakeBlock } from './shake_block.js';
import { archaiConvStd } from '../archai_init.js';
import { ShakeNet, type ShakeNetOptions } from './shake_net.js';

export interface ShakeResNetOptions extends ShakeNetOptions {
  /** 6n + 2: n ShakeBlocks a stage. */
  depth: number;
  /** Width of the first stage; the others are 2x and 4x. */
  wBase: number;
}

/** Why a depth and width can't build a ShakeResNet, or null if they can: the one statement of its rules. */
export function shakeResNetError(depth: number, wBase: number): string | null {
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    return `ShakeResNet depth must be 6n+2 with n >= 1 (8, 14, 20, 26, ...), got ${depth}`;
  }
  if (!Number.isInteger(wBase) || wBase < 2 || wBase % 2 !== 0) {
    return `ShakeResNet width must be an even integer >= 2 (Shortcut splits it in two), got ${wBase}`;
  }
  return null;
}

/**
 * archai's ShakeResNet (Gastaldi 2017): stem conv3x3 3→16 with bias, three stages of (depth−2)/6
 * ShakeBlocks of widths w, 2w, 4w and strides 1, 2, 2, ReLU, global average pool, Linear.
 */
export class ShakeResNet extends ShakeNet {
  readonly depth: number;
  readonly wBase: number;
  readonly c_in: Conv2d;
  readonly bn_in: BatchNorm2d | null;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly fc_out: Linear;

  constructor(options: ShakeResNetOptions) {
    super(options);
    const { depth, wBase } = options;
    const err = shakeResNetError(depth, wBase);
    if (err) throw new RangeError(err);
    this.depth = depth;
    this.wBase = wBase;
    const rng = new Generator(options.seed ?? 0);
    const nUnits = (depth - 2) / 6;
    const chs = [16, wBase, wBase * 2, wBase * 4];
    const stem = this.makeStem(chs[0], rng);
    this.c_in = this.registerModule('c_in', stem.c_in);
    this.bn_in = stem.bn_in && this.registerModule('bn_in', stem.bn_in);
    const layer = (inCh: number, outCh: number, stride: number) => {
      const blocks: ShakeBlock[] = [];
      for (let i = 0; i < nUnits; i++) {
        blocks.push(new ShakeBlock({ inChannels: inCh, outChannels: outCh, stride, shake: this.shake, weightStd: archaiConvStd, rng }));
        inCh = outCh;
        stride = 1;
      }
      return new Sequential(blocks);
    };
    this.layer1 = this.registerModule('layer1', layer(chs[0], chs[1], 1));
    this.layer2 = this.registerModule('layer2', layer(chs[1], chs[2], 2));
    this.layer3 = this.registerModule('layer3', layer(chs[2], chs[3], 2));
    this.fc_out = this.registerModule('fc_out', new Linear({ inFeatures: chs[3], outFeatures: this.numClasses, zeroBias: true, rng }));
  }
}
