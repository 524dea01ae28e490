import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, parseConfigText, type ExperimentConfig } from '../src/config/index.js';
import { createRunLogger, train } from '../src/trainer/index.js';
import { BACKEND_HELP, backendFlag, UsageError } from './errors.js';

interface TrainFlags {
  config?: string;
  set: string[];
  out?: string;
  resume?: string;
  backend?: string;
  quiet?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('run an experiment from a YAML config, or resume a run')
    .option('--config <file>', 'experiment config (YAML)')
    .option('--set <key=value>', 'override a config key after merging, e.g. trainer.epochs=10 (repeatable)', collect, [])
    .option('--out <dir>', 'run folder (default runs/<config name>-<timestamp>)')
    .option('--resume <dir>', "continue a run from its last checkpoint, with the run's own config")
    .option('--backend <name>', `${BACKEND_HELP} (overrides the config)`)
    .option('--quiet', 'log to RUN/log.jsonl only')
    .action(async (flags: TrainFlags) => {
      const overrides = [...flags.set];
      if (flags.backend) overrides.push(`backend=${backendFlag(flags.backend)}`);
      let config: ExperimentConfig;
      let runDir: string;
      if (flags.resume) {
        if (flags.config) throw new UsageError('--resume takes the config of the run itself; drop --config and change keys with --set');
        if (flags.out) throw new UsageError('--resume continues in the run folder itself; drop --out');
        runDir = resolve(flags.resume);
        const file = join(runDir, 'config.yaml');
        if (!existsSync(file))
          throw new UsageError(`--resume ${flags.resume}: no config.yaml there; pass a run folder made by 'archai-ts train'`);
        config = parseConfigText(await readFile(file, 'utf8'), file, { overrides });
      } else {
        if (!flags.config) throw new UsageError('give --config FILE (e.g. configs/quickstart.yaml) or --resume RUN');
        const loaded = await loadConfig(flags.config, overrides);
        config = loaded.config;
        runDir = resolve(flags.out ?? join('runs', `${basename(flags.config, extname(flags.config))}-${timestamp()}`));
        if (existsSync(join(runDir, 'checkpoints'))) {
          throw new UsageError(`--out ${runDir} already holds a run; resume it with --resume ${runDir} or choose another folder`);
        }
      }
      const { mkdir } = await import('node:fs/promises');
      await mkdir(runDir, { recursive: true });
      const logger = createRunLogger(join(runDir, 'log.jsonl'), { quiet: flags.quiet });
      const controller = new AbortController();
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) process.exit(130);
        logger.warn(`${sig}: finishing the step and writing a checkpoint (again to quit at once)`);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await train(config, {
          outDir: flags.resume ? undefined : runDir,
          resume: flags.resume ? runDir : undefined,
          signal: controller.signal,
          logger,
          progressBar: (process.stderr.isTTY ?? false) && !flags.quiet,
        });
        if (result.interrupted) {
          process.exitCode = 130;
          return;
        }
        const best = result.best ? `best test top-1 ${result.best.test_top1.toFixed(4)} at epoch ${result.best.epoch}` : 'no evaluation';
        logger.info(`done: ${result.history.length} epochs, ${best}; run folder ${runDir}`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        logger.flush();
      }
    });
}
