/**
 * A blocking all-reduce (sum) among the threads of a data-parallel step, over one
 * SharedArrayBuffer: what synchronised BatchNorm needs in the middle of a forward or backward pass,
 * where a tfjs kernel runs synchronously and cannot await a message.
 *
 * Every participant calls allReduce the same number of times in the same order (each BatchNorm layer,
 * forward then backward); each call writes its values to its own slot, waits at a barrier, sums the
 * slots in rank order (so every thread gets bit-identical sums) and waits again before a slot can be
 * reused. A thread that fails calls abort(), which wakes the others with an error instead of leaving
 * them waiting forever.
 */

import type { AllReduce } from '../backend/host/batchnorm_kernels.js';

const GENERATION = 0;
const ARRIVED = 1;
const ABORTED = 2;
const CONTROL_BYTES = 16;

/** A barrier wait longer than this means a participant is gone (a conv between two BN layers takes seconds at most). */
const DEADLINE_MS = 300_000;

export class CollectiveAbortedError extends Error {
  override name = 'CollectiveAbortedError';
}

export class Collective implements AllReduce {
  private readonly control: Int32Array;
  private readonly slots: Float64Array;

  /** `size` participants exchanging at most `maxLength` numbers each. */
  static allocate(size: number, maxLength: number): SharedArrayBuffer {
    return new SharedArrayBuffer(CONTROL_BYTES + size * maxLength * 8);
  }

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly rank: number,
    readonly size: number,
  ) {
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.slots = new Float64Array(buffer, CONTROL_BYTES);
    if (rank < 0 || rank >= size) throw new RangeError(`rank ${rank} is outside 0..${size - 1}`);
  }

  get maxLength(): number {
    return this.slots.length / this.size;
  }

  /** The element-wise sum of every participant's `values`, in rank order. */
  allReduce(values: ArrayLike<number>): Float64Array {
    const n = values.length;
    const max = this.maxLength;
    if (n > max) throw new RangeError(`all-reduce of ${n} values; the buffer holds ${max}`);
    this.slots.set(values, this.rank * max);
    this.barrier();
    const out = new Float64Array(n);
    for (let r = 0; r < this.size; r++) {
      const base = r * max;
      for (let i = 0; i < n; i++) out[i] += this.slots[base + i]!;
    }
    this.barrier();
    return out;
  }

  /** Wakes every waiting participant with an error; until reset() every allReduce throws. */
  abort(): void {
    Atomics.store(this.control, ABORTED, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
  }

  /** Back to a clean state between steps (the caller makes sure nobody is inside allReduce). */
  reset(): void {
    Atomics.store(this.control, ARRIVED, 0);
    Atomics.store(this.control, ABORTED, 0);
  }

  private barrier(): void {
    const c = this.control;
    this.throwIfAborted();
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, ARRIVED, 1) === this.size - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
    } else {
      const start = Date.now();
      while (Atomics.load(c, GENERATION) === generation) {
        Atomics.wait(c, GENERATION, generation, 1000);
        if (Date.now() - start > DEADLINE_MS) {
          this.abort();
          throw new CollectiveAbortedError(`replica ${this.rank} waited ${DEADLINE_MS / 1000} s at a BatchNorm exchange for the others`);
        }
      }
    }
    this.throwIfAborted();
  }

  private throwIfAborted(): void {
    if (Atomics.load(this.control, ABORTED)) throw new CollectiveAbortedError('another replica failed during this step');
  }
}
