import type { Command } from 'commander';
import { configJsonSchemaText } from '../src/config/index.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { searchConfigJsonSchemaText } from '../src/search/index.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description(
      'print the JSON Schema of experiment configs (configs/schema.json) or, with --search, of search configs (configs/search.schema.json)',
    )
    .option('--search', 'the schema of search configs')
    .option('--out <file>', 'write it to FILE instead of standard output')
    .action(async (opts: { out?: string; search?: boolean }) => {
      const text = opts.search ? searchConfigJsonSchemaText() : configJsonSchemaText();
      if (opts.out) await writeFileAtomic(opts.out, text);
      else process.stdout.write(text);
    });
}
