import type { Command } from 'commander';
import { defaultRegistry } from '../src/registry/index.js';
import { collect, formatTable } from './format.js';
import { intFlag } from './errors.js';
import { formatOptions, parseOptionFlags } from './model_options.js';

export function registerDescribe(program: Command): void {
  program
    .command('describe')
    .description('parameters, MACs and a table per stage of a model')
    .argument('<name>', 'model name, e.g. shake_resnet26_2x32d')
    .option('--num-classes <n>', 'number of classes', '10')
    .option('--option <key=value>', "an option of the model's family, e.g. variant=paper (repeatable)", collect, [])
    .option('--json', 'print JSON')
    .action((name: string, opts: { numClasses: string; option: string[]; json?: boolean }) => {
      const numClasses = intFlag('--num-classes', opts.numClasses, 1);
      const info = defaultRegistry.modelInfo(name, { ...parseOptionFlags(opts.option), numClasses });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(info)}\n`);
        return;
      }
      const lines = [
        `${info.name}${info.aliases.length ? ` (archai: ${info.aliases.join(', ')})` : ''}`,
        info.description ?? '',
        `family ${info.family}, ${info.numClasses} classes`,
        `options ${formatOptions(info.options)}`,
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
      process.stdout.write(`${lines.filter((l, i) => l !== '' || i === 6).join('\n')}\n`);
    });
}
