import type { Command } from 'commander';
import { BACKEND_NAMES, isBackendName, type BackendName } from '../src/backend/index.js';
import { releaseWebGPU } from '../src/backend/webgpu/device.js';
import { BENCH_DEFAULTS, BenchOptionsError, formatBench, runBench, type BenchMode } from '../src/bench/bench.js';
import { intFlag, replicasFlag, UsageError } from './errors.js';

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
    .option('--backend <name>', `${BACKEND_NAMES.join(' | ')}`, 'auto')
    .option('--warmup <n>', 'untimed steps first', String(BENCH_DEFAULTS.warmup))
    .option('--steps <n>', 'timed steps', String(BENCH_DEFAULTS.steps))
    .option('--image-size <n>', 'square image side', String(BENCH_DEFAULTS.imageSize))
    .option('--num-classes <n>', 'classes', String(BENCH_DEFAULTS.numClasses))
    .option('--seed <n>', 'seed of weights, input and shake draws', String(BENCH_DEFAULTS.seed))
    .option('--replicas <n>', "data-parallel replicas on wasm/cpu: N or 'auto' (one per core)", 'auto')
    .option('--profile', 'also profile one step by kernel (tf.profile) and list the top kernels')
    .option('--json', 'print one JSON line')
    .action(async (flags: BenchFlags) => {
      if (!flags.model) throw new UsageError('give --model NAME (see archai-ts list)');
      if (flags.batch == null) throw new UsageError('give --batch N (images per step)');
      if (flags.mode !== 'train' && flags.mode !== 'eval') {
        throw new UsageError(`--mode must be 'train' or 'eval', got '${flags.mode}'`);
      }
      if (!isBackendName(flags.backend)) {
        throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}, got '${flags.backend}'`);
      }
      const options = {
        model: flags.model,
        mode: flags.mode as BenchMode,
        batch: intFlag('--batch', flags.batch, 1),
        backend: flags.backend as BackendName,
        warmup: intFlag('--warmup', flags.warmup, 0),
        steps: intFlag('--steps', flags.steps, 1),
        imageSize: intFlag('--image-size', flags.imageSize, 4),
        numClasses: intFlag('--num-classes', flags.numClasses, 2),
        seed: intFlag('--seed', flags.seed, 0),
        profile: Boolean(flags.profile),
        replicas: replicasFlag(flags.replicas),
      };
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
        if (e instanceof BenchOptionsError) throw new UsageError(e.message);
        throw e;
      } finally {
        // Dawn's instance can keep Node alive; nothing runs after the benchmark.
        await releaseWebGPU();
      }
    });
}
