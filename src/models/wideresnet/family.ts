import { defineFamily } from '../family.js';
import { wideResNetOptionsSchema, type WideResNetOptions } from './options.js';
import { WideResNet, wideResNetError } from './wide_resnet.js';

type WideResNetArch = { depth: number; k: number };

const NAME = /^wide_resnet(\d+)_(\d+)$/;

const blocksOf = (depth: number) => {
  const n = (depth - 4) / 6;
  return `${n} block${n === 1 ? '' : 's'}`;
};

export const wideResNetFamily = defineFamily<WideResNetArch, WideResNetOptions>({
  name: 'wide_resnet',
  title: "WideResNet (Zagoruyko & Komodakis 2016; archai's wideresnet.py)",
  grammar: 'wide_resnet{depth}_{k}',
  choices: { depth: '6n+4, n >= 1', k: 'widen factor, integer >= 1' },
  options: wideResNetOptionsSchema,
  parse(name) {
    const m = NAME.exec(name);
    if (!m) return null;
    const arch = { depth: Number(m[1]), k: Number(m[2]) };
    return wideResNetError(arch.depth, arch.k) ?? arch;
  },
  format: (a) => `wide_resnet${a.depth}_${a.k}`,
  describe: (a) => `WideResNet-${a.depth}-${a.k}, pre-activation, ${blocksOf(a.depth)} a stage, widths ${16 * a.k}/${32 * a.k}/${64 * a.k}`,
  // archai's get_model builds these two with dropout_rate=0.0 (and, a bug, never returns the model).
  variants: [
    { arch: { depth: 40, k: 2 }, aliases: ['wresnet40_2'] },
    { arch: { depth: 28, k: 10 }, aliases: ['wresnet28_10'] },
  ],
  build: (a, o) => new WideResNet({ depth: a.depth, k: a.k, ...o }),
});
