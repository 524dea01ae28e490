import { ShakeResNet, shakeResNetDepthError } from '../models/shakeshake/shake_resnet.js';
import { ShakeResNeXt, shakeResNeXtDepthError } from '../models/shakeshake/shake_resnext.js';
import type { ModelEntry, ModelFamily, ModelRegistry } from './registry.js';

const RESNET = /^shake_resnet(\d+)_2x(\d+)d$/;
const RESNEXT = /^shake_resnext(\d+)_2x(\d+)x(\d+)d$/;

export function shakeResNetEntry(depth: number, wBase: number, aliases: string[] = []): ModelEntry {
  return {
    name: `shake_resnet${depth}_2x${wBase}d`,
    family: 'shake_resnet',
    aliases,
    description: `ShakeResNet-${depth}, two branches, first-stage width ${wBase}`,
    build: (o) => new ShakeResNet({ depth, wBase, ...o }),
  };
}

export function shakeResNeXtEntry(depth: number, cardinality: number, wBase: number, aliases: string[] = []): ModelEntry {
  return {
    name: `shake_resnext${depth}_2x${cardinality}x${wBase}d`,
    family: 'shake_resnext',
    aliases,
    description: `ShakeResNeXt-${depth}, two branches, cardinality ${cardinality}, base width ${wBase}`,
    build: (o) => new ShakeResNeXt({ depth, wBase, cardinality, ...o }),
  };
}

export const shakeResNetFamily: ModelFamily = {
  family: 'shake_resnet',
  grammar: 'shake_resnet{depth}_2x{w}d',
  parse(name) {
    const m = RESNET.exec(name);
    if (!m) return null;
    const [depth, w] = [Number(m[1]), Number(m[2])];
    const err = shakeResNetDepthError(depth);
    if (err) return err;
    if (w < 2 || w % 2 !== 0) return `the width must be an even number >= 2 (Shortcut splits it in two), got ${w}`;
    return shakeResNetEntry(depth, w);
  },
};

export const shakeResNeXtFamily: ModelFamily = {
  family: 'shake_resnext',
  grammar: 'shake_resnext{depth}_2x{cardinality}x{w}d',
  parse(name) {
    const m = RESNEXT.exec(name);
    if (!m) return null;
    const [depth, card, w] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const err = shakeResNeXtDepthError(depth);
    if (err) return err;
    if (w < 64) return `the base width must be at least 64 (mid width is n·floor(w/64)·cardinality), got ${w}`;
    if (card < 1) return `the cardinality must be at least 1, got ${card}`;
    return shakeResNeXtEntry(depth, card, w);
  },
};

/** The Shake-Shake networks of archai's zoo, under our names and archai's. */
export function registerShakeShakeModels(registry: ModelRegistry): void {
  for (const w of [32, 64, 96, 112]) registry.registerModel(shakeResNetEntry(26, w, [`shakeshake26_2x${w}d`]));
  registry.registerModel(shakeResNeXtEntry(29, 4, 64));
  registry.registerModel(shakeResNeXtEntry(26, 4, 96, ['shakeshake26_2x96d_next']));
  registry.registerFamily(shakeResNetFamily);
  registry.registerFamily(shakeResNeXtFamily);
}
