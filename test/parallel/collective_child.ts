/** A second participant for collective.test.ts: rank 1, told what to do through workerData. */
import { parentPort, workerData } from 'node:worker_threads';
import { Collective } from '../../src/parallel/collective.js';

const { buffer, mode } = workerData as { buffer: SharedArrayBuffer; mode: 'sum' | 'abort' };
const c = new Collective(buffer, 1, 2);
try {
  if (mode === 'abort') {
    // Fail while rank 0 already waits at the exchange.
    const until = Date.now() + 200;
    while (Date.now() < until);
    c.abort();
    parentPort!.postMessage({ done: 'aborted' });
  } else {
    const a = c.allReduce([10, 20, 30]);
    const b = c.allReduce([1]);
    parentPort!.postMessage({ done: [...a, ...b] });
  }
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}
