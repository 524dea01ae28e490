/**
 * Connections to the queue's Redis. A first check fails fast with one line (unreachable, refused
 * password); after that every connection waits through outages (Redis restarting) instead of
 * failing commands, and says so in the log, once per outage, the password redacted.
 */
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../trainer/index.js';
import { QueueError } from './errors.js';
import type { RedisTarget } from './url.js';

/** Options of the long-lived connections (BullMQ's workers require maxRetriesPerRequest null). */
export function connectionOptions(target: RedisTarget): RedisOptions {
  return { ...target.options, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000) };
}

/** Connects once, without retries, and pings: a QueueError naming the (masked) URL when that fails. */
export async function checkRedis(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket's error (ECONNREFUSED, a TLS failure) says more than connect()'s "Connection is closed".
  let cause: Error | null = null;
  client.on('error', (e: Error) => {
    cause ??= e;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const why = (cause as Error | null)?.message || (e as Error).message || String(e);
    throw new QueueError(`cannot reach Redis at ${target.display}: ${target.redact(why)}`);
  } finally {
    client.disconnect();
  }
}

/** Something that emits 'error' (an ioredis client, a BullMQ Queue or Worker). */
interface ErrorEmitter {
  on(event: 'error', listener: (e: Error) => void): unknown;
}

/**
 * Logs the errors of connections (without a listener ioredis prints them itself, password and all):
 * the first of a burst as a warning, the rest at debug until `quietMs` has passed without one.
 */
export function logRedisErrors(target: RedisTarget, log: Logger, quietMs = 10_000): (emitter: ErrorEmitter) => void {
  let last = 0;
  return (emitter) => {
    emitter.on('error', (e: Error) => {
      const now = Date.now();
      const message = `Redis at ${target.display}: ${target.redact(e.message || String(e))}`;
      if (now - last > quietMs) log.warn(`${message} (retrying)`);
      else log.debug(message);
      last = now;
    });
  };
}
