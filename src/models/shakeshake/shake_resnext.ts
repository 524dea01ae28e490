import type { BatchNorm2d } from '../../nn/batchnorm2d.js';
import type { Conv2d } from '../../nn/conv2d.js';
import { Linear } from '../../nn/linear.js';
import { Generator } from '../../util/random.js';
import { Sequential } from '../../nn/sequential.js';
import { ShakeBottleNeck } from './shake_bottleneck.js';
import { archaiConvStd } from '../archai_init.js';
import { ShakeNet, type ShakeNetOptions } from './shake_net.js';

export interface ShakeResNeXtOptions extends ShakeNetOptions {
  /** 9n + 2 (archai floors (depth − 2) / 9): n ShakeBottleNecks a stage. */
  depth: number;
  /** Bottleneck width per group: mid = n·floor(wBase/64)·cardinality for n = 64, 128, 256. */
  wBase: number;
  cardinality: number;
}

/** Why these numbers can't build a ShakeResNeXt, or null if they can: the one statement of its rules. */
export function shakeResNeXtError(depth: number, cardinality: number, wBase: number): string | null {
  if (!Number.isInteger(depth) || Math.floor((depth - 2) / 9) < 1) {
    return `ShakeResNeXt depth must give at least one block a stage, floor((depth-2)/9) >= 1 (11, 20, 29, ...), got ${depth}`;
  }
  if (!Number.isInteger(cardinality) || cardinality < 1) return `ShakeResNeXt cardinality must be a positive integer, got ${cardinality}`;
  if (!Number.isInteger(wBase) || wBase < 64) {
    return `ShakeResNeXt base width must be an integer >= 64 (mid width is n·floor(w/64)·cardinality), got ${wBase}`;
  }
  return null;
}

/**
 * archai's ShakeResNeXt: stem conv3x3 3→64 with bias, three stages of floor((depth−2)/9)
 * ShakeBottleNecks with out = 4n (n = 64, 128, 256) and strides 1, 2, 2, ReLU, global average
 * pool, Linear(1024).
 */
export class ShakeResNeXt extends ShakeNet {
  readonly depth: number;
  readonly wBase: number;
  readonly cardinality: number;
  readonly c_in: Conv2d;
  readonly bn_in: BatchNorm2d | null;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly fc_out: Linear;

  constructor(options: ShakeResNeXtOptions) {
    super(options);
    const { depth, wBase, cardinality } = options;
    const err = shakeResNeXtError(depth, cardinality, wBase);
    if (err) throw new RangeError(err);
    this.depth = depth;
    this.wBase = wBase;
    this.cardinality = cardinality;
    const rng = new Generator(options.seed ?? 0);
    const nUnits = Math.floor((depth - 2) / 9);
    const nChs = [64, 128, 256, 1024];
    const stem = this.makeStem(nChs[0], rng);
    this.c_in = this.registerModule('c_in', stem.c_in);
    this.bn_in = stem.bn_in && this.registerModule('bn_in', stem.bn_in);
    let inCh = nChs[0];
    const layer = (n: number, stride: number) => {
      const mid = n * Math.floor(wBase / 64) * cardinality;
      const out = n * 4;
      const blocks: ShakeBottleNeck[] = [];
      for (let i = 0; i < nUnits; i++) {
        blocks.push(
          new ShakeBottleNeck({
            inChannels: inCh,
            midChannels: mid,
            outChannels: out,
            cardinality,
            stride,
            shake: this.shake,
            weightStd: archaiConvStd,
            rng,
          }),
        );
        inCh = out;
        stride = 1;
      }
      return new Sequential(blocks);
    };
    this.layer1 = this.registerModule('layer1', layer(nChs[0], 1));
    this.layer2 = this.registerModule('layer2', layer(nChs[1], 2));
    this.layer3 = this.registerModule('layer3', layer(nChs[2], 2));
    this.fc_out = this.registerModule('fc_out', new Linear({ inFeatures: nChs[3], outFeatures: this.numClasses, zeroBias: true, rng }));
  }
}
