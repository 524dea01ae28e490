import type { Command } from 'commander';
import { defaultRegistry } from '../src/registry/index.js';
import { formatTable } from './format.js';
import { UsageError } from './errors.js';

export function registerDescribe(program: Command): void {
  program
    .command('describe')
    .description('parameters, MACs and a table per stage of a model')
    .argument('<name>', 'model name, e.g. shake_resnet26_2x32d')
    .option('--num-classes <n>', 'number of classes', '10')
    .option('--variant <variant>', 'archai | paper', 'archai')
    .option('--json', 'print JSON')
    .action((name: string, opts: { numClasses: string; variant: string; json?: boolean }) => {
      const numClasses = Number(opts.numClasses);
      if (!Number.isInteger(numClasses) || numClasses < 1) {
        throw new UsageError(`--num-classes must be a positive integer, got '${opts.numClasses}'`);
      }
      if (opts.variant !== 'archai' && opts.variant !== 'paper') {
        throw new UsageError(`--variant must be 'archai' or 'paper', got '${opts.variant}'`);
      }
      const info = defaultRegistry.modelInfo(name, { numClasses, variant: opts.variant });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(info)}\n`);
        return;
      }
      const lines = [
        `${info.name}${info.aliases.length ? ` (archai: ${info.aliases.join(', ')})` : ''}`,
        info.description ?? '',
        `family ${info.family}, ${info.numClasses} classes`,
        `parameters ${info.params.toLocaleString('en-US')} trainable`,
        `MACs ${(info.macs / 1e6).toFixed(1)}M per 32x32 image (convolutions and linear layers)`,
        '',
        formatTable(
          ['stage', 'blocks', 'in', 'out', 'stride', 'output', 'params', 'MMACs'],
          info.stages.map((s) => [
            s.name,
            String(s.blocks),
            String(s.inChannels),
            String(s.outChannels),
            String(s.stride),
            s.outputShape.join('x'),
            s.params.toLocaleString('en-US'),
            (s.macs / 1e6).toFixed(1),
          ]),
        ),
      ];
      process.stdout.write(`${lines.filter((l, i) => l !== '' || i === 5).join('\n')}\n`);
    });
}
