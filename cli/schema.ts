import type { Command } from 'commander';
import { configJsonSchemaText } from '../src/config/index.js';
import { writeFileAtomic } from '../src/io/atomic.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of experiment configs (what configs/schema.json holds, for editors)')
    .option('--out <file>', 'write it to FILE instead of standard output')
    .action(async (opts: { out?: string }) => {
      const text = configJsonSchemaText();
      if (opts.out) await writeFileAtomic(opts.out, text);
      else process.stdout.write(text);
    });
}
