/**
 * A small pool of worker threads that prepare batch pixels off the main thread, where tfjs runs.
 * The entry point is the sibling worker module (see startWorker for how it runs from sources).
 *
 * Workers are unref'd while idle: a loader that is never closed does not keep the process alive,
 * yet a batch being awaited does.
 */
import type { Worker } from 'node:worker_threads';

import { startWorker } from '../util/worker_thread.js';
import { DataError } from './errors.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker_protocol.js';

interface Slot {
  worker: Worker;
  inFlight: number;
}

interface Pending {
  slot: Slot;
  resolve: (x: Float32Array) => void;
  reject: (err: Error) => void;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;
  private closing = false;

  constructor(init: WorkerInit, size: number) {
    for (let i = 0; i < size; i++) {
      let worker: Worker;
      try {
        worker = startWorker(
          import.meta.url,
          'worker',
          { workerData: init, name: `archai-data-${i}` },
          'data loader workers need tsx when run from TypeScript sources (npm i -D tsx), or set data.workers: 0',
        );
      } catch (err) {
        throw new DataError((err as Error).message);
      }
      const slot: Slot = { worker, inFlight: 0 };
      worker.unref();
      worker.on('message', (reply: WorkerReply) => this.onReply(reply));
      worker.on('error', (err) =>
        this.fail(
          new DataError(`data loader worker ${i} failed (${err.message}); set data.workers: 0 to prepare batches in-process`, {
            cause: err,
          }),
        ),
      );
      worker.on('exit', (code) => {
        if (!this.closing)
          this.fail(new DataError(`data loader worker ${i} exited with code ${code}; set data.workers: 0 to prepare batches in-process`));
      });
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Prepare one batch in the least busy worker. */
  run(epoch: number, index: number, indices: Int32Array): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new DataError('data loader is closed'));
    let slot = this.slots[0];
    for (const s of this.slots) if (s.inFlight < slot.inFlight) slot = s;
    const id = this.nextId++;
    const req: WorkerRequest = { id, epoch, index, indices };
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { slot, resolve, reject });
      if (slot.inFlight++ === 0) slot.worker.ref();
      slot.worker.postMessage(req);
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    this.pending.delete(id);
    if (--p.slot.inFlight === 0) p.slot.worker.unref();
    return p;
  }

  private onReply(reply: WorkerReply): void {
    const p = this.settle(reply.id);
    if (p === undefined) return;
    if ('error' in reply) p.reject(new DataError(`data loader worker could not prepare a batch: ${reply.error.split('\n')[0]}`));
    else p.resolve(reply.x);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.rejectAll(err);
    void this.terminate();
  }

  private rejectAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(err);
  }

  private async terminate(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Stop the workers; batches still being prepared are rejected. Idempotent. */
  async close(): Promise<void> {
    if (!this.closing) this.rejectAll(new DataError('data loader was closed while a batch was being prepared'));
    await this.terminate();
  }
}
