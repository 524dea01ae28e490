import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { type ExperimentConfig, loadConfig, parseConfigText } from '../src/config/index.js';
import { createRunLogger, logToFile, type TrainResult, train } from '../src/trainer/index.js';
import { BACKEND_HELP, backendFlag, UsageError } from './errors.js';
import { collect, timestamp } from './format.js';
import { stopOnSignals } from './signals.js';

interface TrainFlags {
  config?: string;
  set: string[];
  out?: string;
  resume?: string;
  from?: string;
  allowConfigChange?: string[];
  backend?: string;
  quiet?: boolean;
}

/** The config and run folder the flags name. */
async function runOf(flags: TrainFlags): Promise<{ config: ExperimentConfig; runDir: string }> {
  const overrides = [...flags.set];
  if (flags.backend) overrides.push(`backend=${backendFlag(flags.backend)}`);
  if (flags.resume) {
    if (flags.config) throw new UsageError('--resume takes the config of the run itself; drop --config and change keys with --set');
    if (flags.out) throw new UsageError('--resume continues in the run folder itself; drop --out');
    const runDir = resolve(flags.resume);
    const file = join(runDir, 'config.yaml');
    if (!existsSync(file))
      throw new UsageError(`--resume ${flags.resume}: no config.yaml there; pass a run folder made by 'archai-ts train'`);
    return { config: parseConfigText(await readFile(file, 'utf8'), file, { overrides }), runDir };
  }
  if (flags.from || flags.allowConfigChange) throw new UsageError('--from and --allow-config-change go with --resume RUN');
  if (!flags.config) throw new UsageError('give --config FILE (e.g. configs/quickstart.yaml) or --resume RUN');
  const { config } = await loadConfig(flags.config, overrides);
  return { config, runDir: resolve(flags.out ?? join('runs', `${basename(flags.config, extname(flags.config))}-${timestamp()}`)) };
}

function bestText(best: TrainResult['best']): string {
  if (!best) return 'no evaluation';
  const f = (v: number | null) => (v === null ? '-' : v.toFixed(4));
  return best.val_top1 !== null
    ? `best val top-1 ${f(best.val_top1)} at epoch ${best.epoch} (test top-1 ${f(best.test_top1)})`
    : `best test top-1 ${f(best.test_top1)} at epoch ${best.epoch}`;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('run an experiment from a YAML config, or resume a run')
    .option('--config <file>', 'experiment config (YAML)')
    .option('--set <key=value>', 'override a config key after merging, e.g. trainer.epochs=10 (repeatable)', collect, [])
    .option('--out <dir>', 'run folder (default runs/<config name>-<timestamp>)')
    .option('--resume <dir>', "continue a run from a checkpoint, with the run's own config")
    .option('--from <checkpoint>', "with --resume: 'last' (default), 'best' or 'step-N'")
    .option('--allow-config-change <keys...>', 'with --resume: config keys that may differ from the run although they change its results')
    .option('--backend <name>', `${BACKEND_HELP} (overrides the config)`)
    .option('--quiet', 'log to RUN/log.jsonl only')
    .action(async (flags: TrainFlags) => {
      const { config, runDir } = await runOf(flags);
      const logger = createRunLogger(null, { quiet: flags.quiet });
      const controller = new AbortController();
      const release = stopOnSignals(logger, controller);
      try {
        const result = await train(config, {
          outDir: flags.resume ? undefined : runDir,
          resume: flags.resume ? runDir : undefined,
          from: flags.from,
          allowConfigChange: flags.allowConfigChange,
          signal: controller.signal,
          logger,
          onRunFolder: ({ logFile }) => logToFile(logger, logFile),
          progressBar: (process.stderr.isTTY ?? false) && !flags.quiet,
        });
        if (result.interrupted) {
          process.exitCode = 130;
          return;
        }
        logger.info(`done: ${result.history.length} epochs, ${bestText(result.best)}; run folder ${runDir}`);
        const t = config.trainer;
        if (result.history.length < t.epochs) {
          logger.info(
            `the schedule spans ${t.epochs} epochs: continue with --resume ${runDir} --set trainer.stop_after_epochs=N (or drop it)`,
          );
        }
      } finally {
        release();
        logger.flush();
      }
    });
}
