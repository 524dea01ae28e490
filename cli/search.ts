import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { type QueueStatus, QueueRunner, queueStatus } from '../src/queue/index.js';
import { loadSearchConfig, parseSearchConfigText, type SearchConfig, type SearchResult, search } from '../src/search/index.js';
import { createRunLogger } from '../src/trainer/index.js';
import { UsageError } from './errors.js';
import { collect, formatTable, timestamp } from './format.js';
import { stopOnSignals } from './signals.js';
import { asUsage, connectQueue, QUEUE_HELP } from './worker.js';

interface SearchFlags {
  config?: string;
  set: string[];
  out?: string;
  resume?: string;
  queue?: string | true;
  quiet?: boolean;
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

/** The config and folder of a new search (--config) or of one to continue (--resume). */
async function configOf(flags: SearchFlags): Promise<{ config: SearchConfig; dir: string }> {
  if (flags.resume) {
    if (flags.config || flags.out)
      throw new UsageError("--resume continues with the search's own config and folder; drop --config and --out");
    const dir = resolve(flags.resume);
    const file = join(dir, 'config.yaml');
    if (!existsSync(file)) throw new UsageError(`--resume ${flags.resume}: no config.yaml there; pass a folder made by 'archai-ts search'`);
    return { config: parseSearchConfigText(await readFile(file, 'utf8'), file, flags.set), dir };
  }
  if (!flags.config) throw new UsageError('give --config FILE (e.g. configs/search_cifar10_small.yaml) or --resume DIR');
  const config = loadSearchConfig(flags.config, flags.set);
  return { config, dir: resolve(flags.out ?? join('searches', `${basename(flags.config).replace(/\.ya?ml$/, '')}-${timestamp()}`)) };
}

/** Latency in headless Chromium for the browser-wasm and browser-webgpu backends (loaded only when asked). */
function browserLatency(config: SearchConfig) {
  return async (o: { model: string; backend: 'wasm' | 'webgpu'; batch: number; repeats: number }) => {
    const { measureBrowserLatency } = await import('../src/serve/browser_latency.js');
    const r = await measureBrowserLatency({ ...o, modelOptions: { numClasses: config.base.model.num_classes } });
    return r.medianMs;
  };
}

async function runSearch(flags: SearchFlags): Promise<void> {
  const { config, dir } = await configOf(flags);
  const target = flags.queue === undefined ? null : await connectQueue(flags.queue);
  const logger = createRunLogger(null, { quiet: flags.quiet, level: 'info' });
  const controller = new AbortController();
  const release = stopOnSignals(logger, controller);
  try {
    const result = await search(config, {
      ...{ outDir: dir, resume: Boolean(flags.resume), signal: controller.signal, logger },
      browserLatency: browserLatency(config),
      ...(target ? { runner: new QueueRunner({ target, log: logger }) } : {}),
    });
    if (result.interrupted) {
      const queued = target ? ` --queue ${flags.queue === true ? '' : target.display}`.trimEnd() : '';
      logger.info(`search stopped; continue it with 'archai-ts search --resume ${dir}${queued}'`);
      process.exitCode = 130;
      return;
    }
    printFrontier(result);
  } finally {
    release();
    logger.flush();
  }
}

function printStatus(s: QueueStatus): void {
  const rows = s.jobs.map((j) => [j.id, j.state, j.worker ?? '', j.epoch === undefined ? '' : String(j.epoch), String(j.attempts)]);
  const counts = new Map<string, number>();
  for (const j of s.jobs) counts.set(j.state, (counts.get(j.state) ?? 0) + 1);
  const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'no jobs';
  const listed = s.listed ? 'listed for workers' : 'not listed for workers (finished, or not started with --queue)';
  process.stdout.write(
    `${s.dir}\nqueue ${s.queue}: ${listed}; ${summary}\n` +
      (rows.length ? `${formatTable(['job', 'state', 'worker', 'epoch', 'attempts'], rows)}\n` : ''),
  );
}

export function registerSearch(program: Command): void {
  const command = program
    .command('search')
    .description('run an architecture search from a YAML config (an experiment plus a search: section), or resume one')
    .option('--config <file>', 'search config (YAML)')
    .option('--set <key=value>', 'override a config key, e.g. search.algorithm.trials=4 (repeatable)', collect, [])
    .option('--out <dir>', 'search folder (default searches/<config name>-<timestamp>)')
    .option('--resume <dir>', 'continue a stopped search; finished trials are not run again')
    .option('--queue [url]', `train the trials on workers ('archai-ts worker') through this Redis. ${QUEUE_HELP}`)
    .option('--quiet', 'no log lines, only the frontier')
    .action(runSearch);
  command
    .command('status <dir>')
    .description('the jobs of a search run with --queue: waiting, running (on which worker), done, failed')
    .option('--queue [url]', QUEUE_HELP)
    .action(async (dir: string, flags: { queue?: string | true }) => {
      // The parent's --queue takes the flag when it is given before 'status'.
      const target = await connectQueue(flags.queue ?? (command.opts() as SearchFlags).queue);
      printStatus(await asUsage(() => queueStatus(target, dir)));
    });
}
