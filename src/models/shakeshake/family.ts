import { defineFamily } from '../family.js';
import { shakeShakeOptionsSchema, type ShakeShakeOptions } from './options.js';
import { ShakeResNet, shakeResNetError } from './shake_resnet.js';
import { ShakeResNeXt, shakeResNeXtError } from './shake_resnext.js';

type ResNetArch = { depth: number; width: number };
type ResNeXtArch = { depth: number; cardinality: number; width: number };

const RESNET = /^shake_resnet(\d+)_2x(\d+)d$/;
const RESNEXT = /^shake_resnext(\d+)_2x(\d+)x(\d+)d$/;

export const shakeResNetFamily = defineFamily<ResNetArch, ShakeShakeOptions>({
  name: 'shake_resnet',
  title: "ShakeResNet (Gastaldi 2017; archai's shakeshake/shake_resnet.py)",
  grammar: 'shake_resnet{depth}_2x{width}d',
  choices: { depth: '6n+2, n >= 1', width: 'first-stage width, even, >= 2' },
  options: shakeShakeOptionsSchema,
  parse(name) {
    const m = RESNET.exec(name);
    if (!m) return null;
    const arch = { depth: Number(m[1]), width: Number(m[2]) };
    return shakeResNetError(arch.depth, arch.width) ?? arch;
  },
  format: (a) => `shake_resnet${a.depth}_2x${a.width}d`,
  describe: (a) => `ShakeResNet-${a.depth}, two branches, first-stage width ${a.width}`,
  variants: [32, 64, 96, 112].map((width) => ({ arch: { depth: 26, width }, aliases: [`shakeshake26_2x${width}d`] })),
  build: (a, o) => new ShakeResNet({ depth: a.depth, wBase: a.width, ...o }),
});

export const shakeResNeXtFamily = defineFamily<ResNeXtArch, ShakeShakeOptions>({
  name: 'shake_resnext',
  title: "ShakeResNeXt (Gastaldi 2017; archai's shakeshake/shake_resnext.py)",
  grammar: 'shake_resnext{depth}_2x{cardinality}x{width}d',
  choices: { depth: 'floor((depth-2)/9) >= 1', cardinality: 'groups, >= 1', width: 'base width, >= 64' },
  options: shakeShakeOptionsSchema,
  parse(name) {
    const m = RESNEXT.exec(name);
    if (!m) return null;
    const arch = { depth: Number(m[1]), cardinality: Number(m[2]), width: Number(m[3]) };
    return shakeResNeXtError(arch.depth, arch.cardinality, arch.width) ?? arch;
  },
  format: (a) => `shake_resnext${a.depth}_2x${a.cardinality}x${a.width}d`,
  describe: (a) => `ShakeResNeXt-${a.depth}, two branches, cardinality ${a.cardinality}, base width ${a.width}`,
  variants: [
    { arch: { depth: 26, cardinality: 4, width: 96 }, aliases: ['shakeshake26_2x96d_next'] },
    { arch: { depth: 29, cardinality: 4, width: 64 } },
  ],
  build: (a, o) => new ShakeResNeXt({ depth: a.depth, wBase: a.width, cardinality: a.cardinality, ...o }),
});
