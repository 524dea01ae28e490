import type { Command } from 'commander';
import { defaultRegistry } from '../src/registry/index.js';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list registered models; PATTERN takes * and ? wildcards')
    .argument('[pattern]', 'wildcard pattern, e.g. "shake_resnet*"', '*')
    .option('--aliases', "include archai's names (aliases)")
    .option('--json', 'print a JSON array')
    .action((pattern: string, opts: { aliases?: boolean; json?: boolean }) => {
      const names = defaultRegistry.listModels(pattern, { aliases: opts.aliases });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(names)}\n`);
        return;
      }
      if (names.length === 0) {
        process.stderr.write(`no model matches '${pattern}' (try 'archai-ts list')\n`);
        return;
      }
      for (const name of names) {
        const aliases = defaultRegistry.aliasesOf(name).filter((a) => a !== name);
        process.stdout.write(aliases.length ? `${name}  (archai: ${aliases.join(', ')})\n` : `${name}\n`);
      }
    });
}
