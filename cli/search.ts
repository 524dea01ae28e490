import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSearchConfig, parseSearchConfigText, type SearchResult, search } from '../src/search/index.js';
import { createRunLogger } from '../src/trainer/index.js';
import { UsageError } from './errors.js';
import { formatTable } from './format.js';
import { stopOnSignals } from './signals.js';

interface SearchFlags {
  config?: string;
  set: string[];
  out?: string;
  resume?: string;
  quiet?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

function printFrontier(r: SearchResult): void {
  const names = r.objectives.map((o) => o.name);
  const cell = (v: number | undefined) => (v === undefined ? '' : Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(4));
  const table = formatTable(
    ['model', 'budget', ...names],
    r.frontier.map((f) => [f.name, String(f.budget ?? ''), ...names.map((n) => cell(f.values[n]))]),
  );
  process.stdout.write(
    `Pareto frontier (${r.frontier.length} of ${new Set(r.rows.map((x) => x.name)).size} models):\n${table}\n${r.dir}\n`,
  );
}

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('run an architecture search from a YAML config (an experiment plus a search: section), or resume one')
    .option('--config <file>', 'search config (YAML)')
    .option('--set <key=value>', 'override a config key, e.g. search.algorithm.trials=4 (repeatable)', collect, [])
    .option('--out <dir>', 'search folder (default searches/<config name>-<timestamp>)')
    .option('--resume <dir>', 'continue a stopped search; finished trials are not run again')
    .option('--quiet', 'no log lines, only the frontier')
    .action(async (flags: SearchFlags) => {
      let config: ReturnType<typeof loadSearchConfig>;
      let dir: string;
      if (flags.resume) {
        if (flags.config || flags.out)
          throw new UsageError("--resume continues with the search's own config and folder; drop --config and --out");
        dir = resolve(flags.resume);
        const file = join(dir, 'config.yaml');
        if (!existsSync(file))
          throw new UsageError(`--resume ${flags.resume}: no config.yaml there; pass a folder made by 'archai-ts search'`);
        config = parseSearchConfigText(await readFile(file, 'utf8'), file, flags.set);
      } else {
        if (!flags.config) throw new UsageError('give --config FILE (e.g. configs/search_small.yaml) or --resume DIR');
        config = loadSearchConfig(flags.config, flags.set);
        dir = resolve(flags.out ?? join('searches', `${basename(flags.config).replace(/\.ya?ml$/, '')}-${timestamp()}`));
      }
      const logger = createRunLogger(null, { quiet: flags.quiet, level: 'info' });
      const controller = new AbortController();
      const release = stopOnSignals(logger, controller);
      try {
        const result = await search(config, { outDir: dir, resume: Boolean(flags.resume), signal: controller.signal, logger });
        if (result.interrupted) {
          logger.info(`search stopped; continue it with 'archai-ts search --resume ${dir}'`);
          process.exitCode = 130;
          return;
        }
        printFrontier(result);
      } finally {
        release();
        logger.flush();
      }
    });
}
