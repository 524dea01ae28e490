import { defineFamily } from '../family.js';
import { type PyramidNetOptions, pyramidNetOptionsSchema } from './options.js';
import { pyramidNetError, pyramidPlan } from './plan.js';
import { PyramidNet } from './pyramid_net.js';

type PyramidNetArch = { depth: number; alpha: number; bottleneck: boolean };

const NAME = /^pyramidnet(\d+)_a(\d+)(_bottleneck)?$/;

export const pyramidNetFamily = defineFamily<PyramidNetArch, PyramidNetOptions>({
  name: 'pyramidnet',
  title: "PyramidNet with ShakeDrop (Han et al. 2017, Yamada et al. 2018; archai's pyramidnet.py, shakedrop.py)",
  grammar: 'pyramidnet{depth}_a{alpha}[_bottleneck]',
  choices: {
    depth: '6n+2 (basic) or 9n+2 (bottleneck), n >= 1',
    alpha: 'total widening over all blocks, integer >= 0',
    bottleneck: "'_bottleneck': 1x1-3x3-1x1 blocks of 4x width",
  },
  options: pyramidNetOptionsSchema,
  parse(name) {
    const m = NAME.exec(name);
    if (!m) return null;
    const arch = { depth: Number(m[1]), alpha: Number(m[2]), bottleneck: m[3] !== undefined };
    return pyramidNetError(arch.depth, arch.alpha, arch.bottleneck) ?? arch;
  },
  format: (a) => `pyramidnet${a.depth}_a${a.alpha}${a.bottleneck ? '_bottleneck' : ''}`,
  describe(a) {
    const plan = pyramidPlan(a.depth, a.alpha, a.bottleneck, 0.5);
    const last = plan[2]![plan[2]!.length - 1]!;
    const kind = a.bottleneck ? 'bottleneck' : 'basic';
    const n = plan[0]!.length;
    return `PyramidNet-${a.depth}, alpha ${a.alpha}, ${n} ${kind} block${n === 1 ? '' : 's'} a stage, widths 16 to ${last.outChannels}, ShakeDrop`;
  },
  variants: [
    { arch: { depth: 272, alpha: 200, bottleneck: true }, aliases: ['pyramid'] },
    { arch: { depth: 110, alpha: 270, bottleneck: false } },
  ],
  build: (a, o) => new PyramidNet({ depth: a.depth, alpha: a.alpha, bottleneck: a.bottleneck, ...o }),
});
