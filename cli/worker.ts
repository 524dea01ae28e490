import type { Command } from 'commander';
import { checkRedis, QueueError, REDIS_URL_ENV, type RedisTarget, redisUrlOf, runWorker } from '../src/queue/index.js';
import { createRunLogger } from '../src/trainer/index.js';
import { BACKEND_HELP, backendFlag, intFlag, UsageError } from './errors.js';
import { stopOnSignals } from './signals.js';

interface WorkerFlags {
  queue?: string | true;
  concurrency: string;
  backend?: string;
  quiet?: boolean;
}

/** What --queue's help says (search and worker). */
export const QUEUE_HELP = `Redis of the queue: redis://[user:password@]host[:port][/db], rediss:// for TLS; without a value, $${REDIS_URL_ENV}`;

/** A queue's bad input (URL, unreachable Redis, a folder that is no search) as a one-line usage error. */
export async function asUsage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw e instanceof QueueError ? new UsageError(e.message) : e;
  }
}

/** The Redis of `--queue [url]` (or $ARCHAI_TS_REDIS_URL), checked to answer before anything starts. */
export function connectQueue(flag: string | true | undefined): Promise<RedisTarget> {
  return asUsage(async () => {
    const target = redisUrlOf(flag);
    await checkRedis(target);
    return target;
  });
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description("train the trials of every search queued on a Redis ('archai-ts search --queue'); run one per machine")
    .option('--queue [url]', QUEUE_HELP)
    .option('--concurrency <n>', 'trials this process trains at once, per search', '1')
    .option('--backend <name>', `${BACKEND_HELP} (overrides each search's config)`)
    .option('--quiet', 'no log lines')
    .action(async (flags: WorkerFlags) => {
      const concurrency = intFlag('--concurrency', flags.concurrency, 1);
      const backend = flags.backend === undefined ? undefined : backendFlag(flags.backend);
      const target = await connectQueue(flags.queue);
      const logger = createRunLogger(null, { quiet: flags.quiet, level: 'info' });
      const controller = new AbortController();
      const release = stopOnSignals(logger, controller);
      try {
        await runWorker({ target, concurrency, backend, log: logger, signal: controller.signal });
        if (controller.signal.aborted) process.exitCode = 130;
      } finally {
        release();
        logger.flush();
      }
    });
}
