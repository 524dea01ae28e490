import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Collective, CollectiveAbortedError } from '../../src/parallel/collective.js';
import { startWorker } from '../../src/util/worker_thread.js';

function child(buffer: SharedArrayBuffer, mode: 'sum' | 'abort') {
  const w = startWorker(import.meta.url, 'collective_child', { workerData: { buffer, mode } }, 'tsx is needed');
  return { worker: w, message: once(w, 'message').then(([m]) => m as { done?: unknown; error?: string }) };
}

describe('Collective', () => {
  it('sums every participant’s values, the same on each, call after call', async () => {
    const buffer = Collective.allocate(2, 8);
    const c = new Collective(buffer, 0, 2);
    const { worker, message } = child(buffer, 'sum');
    const a = c.allReduce([1, 2, 3]);
    const b = c.allReduce([5]);
    expect([...a, ...b]).toEqual([11, 22, 33, 6]);
    expect((await message).done).toEqual([11, 22, 33, 6]);
    await worker.terminate();
  }, 30_000);

  it('wakes a participant waiting at the exchange when another one fails, with an error', async () => {
    const buffer = Collective.allocate(2, 8);
    const c = new Collective(buffer, 0, 2);
    const { worker, message } = child(buffer, 'abort');
    expect(() => c.allReduce([1])).toThrow(CollectiveAbortedError);
    expect((await message).done).toBe('aborted');
    // Until reset, every exchange fails at once; after it, a lone participant's exchange completes.
    expect(() => c.allReduce([1])).toThrow(CollectiveAbortedError);
    c.reset();
    expect([...new Collective(buffer, 0, 1).allReduce([4])]).toEqual([4]);
    await worker.terminate();
  }, 30_000);

  it('refuses more values than its buffer holds', () => {
    const c = new Collective(Collective.allocate(1, 2), 0, 1);
    expect(() => c.allReduce([1, 2, 3])).toThrow(/3 values; the buffer holds 2/);
  });
});
