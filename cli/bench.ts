import type { Command } from 'commander';
import { releaseWebGPU } from '../src/backend/webgpu/device.js';
import { BENCH_DEFAULTS, type BenchOptions, BenchOptionsError, formatBench, runBench } from '../src/bench/bench.js';
import { BACKEND_HELP, UsageError } from './errors.js';

interface BenchFlags {
  model?: string;
  mode: string;
  batch?: string;
  backend: string;
  warmup: string;
  steps: string;
  imageSize: string;
  numClasses: string;
  seed: string;
  json?: boolean;
  profile?: boolean;
  replicas?: string;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('time training or inference steps of a model on a backend (random input)')
    .option('--model <name>', 'zoo model, e.g. shake_resnet26_2x32d')
    .option('--mode <mode>', 'train | eval', 'train')
    .option('--batch <n>', 'images per step')
    .option('--backend <name>', BACKEND_HELP, 'auto')
    .option('--warmup <n>', 'untimed steps first', String(BENCH_DEFAULTS.warmup))
    .option('--steps <n>', 'timed steps', String(BENCH_DEFAULTS.steps))
    .option('--image-size <n>', 'square image side', String(BENCH_DEFAULTS.imageSize))
    .option('--num-classes <n>', 'classes', String(BENCH_DEFAULTS.numClasses))
    .option('--seed <n>', 'seed of weights, input and shake draws', String(BENCH_DEFAULTS.seed))
    .option('--replicas <n>', "data-parallel replicas on wasm/cpu: N or 'auto' (one per core)", 'auto')
    .option('--profile', 'also profile one step by kernel (tf.profile) and list the top kernels')
    .option('--json', 'print one JSON line')
    .action(async (flags: BenchFlags) => {
      // Flags go to runBench as they are (numbers where they read as one): its validation is the one rule.
      const options = {
        model: flags.model,
        mode: flags.mode,
        batch: flags.batch === undefined ? undefined : numeric(flags.batch),
        backend: flags.backend,
        warmup: numeric(flags.warmup),
        steps: numeric(flags.steps),
        imageSize: numeric(flags.imageSize),
        numClasses: numeric(flags.numClasses),
        seed: numeric(flags.seed),
        profile: Boolean(flags.profile),
        replicas: flags.replicas === 'auto' ? 'auto' : numeric(flags.replicas ?? 'auto'),
      } as unknown as BenchOptions;
      try {
        const result = await runBench({
          ...options,
          logger: {
            info: (_obj, msg) => {
              if (!flags.json && msg) process.stderr.write(`${msg}\n`);
            },
          },
        });
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${formatBench(result)}\n`);
      } catch (e) {
        if (e instanceof BenchOptionsError) throw new UsageError(`--${kebab(e.option)} ${e.problem}`);
        throw e;
      } finally {
        // Dawn's instance can keep Node alive; nothing runs after the benchmark.
        await releaseWebGPU();
      }
    });
}

/** A flag's text as a number where it reads as one; otherwise the text, for the error message. */
function numeric(value: string): number | string {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
