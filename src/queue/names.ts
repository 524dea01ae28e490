/**
 * Where a search lives in Redis. Each search folder gets a queue of its own, named after its absolute
 * path (so two searches on one Redis never share jobs, and a driver restarted on the same folder finds
 * its queue again); a hash lists the queues of running searches with their folders, which is what
 * workers watch. A job's id is its (trial, budget), so adding it twice adds it once.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';

/** BullMQ's key prefix for every queue of archai-ts. */
export const PREFIX = 'archai-ts';

/** The hash of running searches: queue name -> search folder. */
export const SEARCHES_KEY = `${PREFIX}:searches`;

export function queueNameFor(dir: string): string {
  const readable = basename(dir)
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 40);
  return `search-${readable}-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`;
}

export const jobIdFor = (name: string, budget: number) => `${name}@${budget}`;
