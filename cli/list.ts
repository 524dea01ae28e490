import type { Command } from 'commander';
import { defaultRegistry } from '../src/registry/index.js';
import { UsageError } from './errors.js';
import { formatTable } from './format.js';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list registered models by family, with their trainable parameters for 10 classes; PATTERN takes * and ? wildcards')
    .argument('[pattern]', 'wildcard pattern, e.g. "shake_resnet*"', '*')
    .option('--family <name>', 'only this family')
    .option('--aliases', "match archai's names (aliases) too")
    .option('--json', 'print a JSON array of {name, family, aliases, params}')
    .action((pattern: string, opts: { family?: string; aliases?: boolean; json?: boolean }) => {
      const families = defaultRegistry.families.map((f) => f.name);
      if (opts.family !== undefined && !families.includes(opts.family)) {
        throw new UsageError(`--family must be one of ${families.join(', ')}, got '${opts.family}'`);
      }
      const names = new Set(
        defaultRegistry.listModels(pattern, { aliases: opts.aliases, family: opts.family }).map((n) => defaultRegistry.resolve(n).name),
      );
      const rows = [...names].map((name) => {
        const info = defaultRegistry.modelInfo(name);
        return { name, family: info.family, aliases: info.aliases, params: info.params };
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stderr.write(`no model matches '${pattern}' (try 'archai-ts list')\n`);
        return;
      }
      const out: string[] = [];
      for (const family of defaultRegistry.families) {
        const own = rows.filter((r) => r.family === family.name);
        if (own.length === 0) continue;
        out.push(`${family.name}: ${family.title}; any ${family.grammar} builds`);
        const table = formatTable(
          ['  name', 'params'],
          own.map((r) => [`  ${r.name}`, r.params.toLocaleString('en-US')]),
        ).split('\n');
        out.push(
          ...table.map((line, i) => (i > 0 && own[i - 1]!.aliases.length ? `${line}  (archai: ${own[i - 1]!.aliases.join(', ')})` : line)),
          '',
        );
      }
      process.stdout.write(out.join('\n'));
    });
}
