/**
 * Data-parallel replicas on the CPU backends: the main thread and count - 1 worker threads, each
 * with its own tfjs backend (wasm or cpu) and copy of the model, share every step.
 *
 * Why threads of our own: tfjs-backend-wasm runs its kernels on one thread (XNNPACK's thread pool
 * speeds up the convolutions only, and is opt-in here, see wasm_threads.ts), so a second core is
 * otherwise idle. Two replicas on two cores measured 2x the images/s of one (bench/cpu/RESULTS.md).
 *
 * Each replica gets a share of the step's batch and the main thread's weights, sent with every
 * request (1.5 M parameters for ShakeResNet-26 2x32d: a few ms against seconds of compute); the
 * gradients, losses and running statistics come back and are summed. When each share fits one
 * micro-batch (the usual case), the step is synchronised: BatchNorm's statistics and gradient sums
 * are exchanged among the replicas inside its kernels (collective.ts, a blocking all-reduce over
 * shared memory: a tfjs kernel is synchronous and cannot await a message), and each share takes its
 * rows of the whole batch's shake draws, so the step is the single-thread step up to float rounding.
 * Otherwise (a share larger than the micro-batch limit) the replicas run the micro-batches of
 * micro_batch.ts, with its per-micro-batch BatchNorm, exactly as the sequential split step would.
 * Evaluation just shares the rows: each replica scores its rows with the same running statistics.
 */
import { cpus } from 'node:os';
import type { Worker } from 'node:worker_threads';

import { isHostBackend } from '../backend/names.js';
import type { Model } from '../models/model.js';
import type { CreateModelOptions } from '../registry/registry.js';
import { tf } from '../tf.js';
import { startWorker } from '../util/worker_thread.js';
import { Generator } from '../util/random.js';
import { Collective, CollectiveAbortedError } from './collective.js';
import { fingerprintDifference, modelFingerprint } from './model_fingerprint.js';
import { microBatchSizes, planMicroBatches, type MicroBatch } from '../engine/micro_batch.js';
import type { Optimizer } from '../engine/optimizer.js';
import type { ReplicaInit, ReplicaReply, ReplicaRequest, ReplicaWeights } from './replica_protocol.js';
import {
  applyUpdate,
  BufferState,
  disposeSums,
  floatBuffers,
  runMicroBatches,
  trainStep,
  type StepOptions,
  type StepResult,
} from '../engine/step.js';

export type ReplicaCount = number | 'auto';

/** How to run without worker threads, wherever the replica count came from. */
const ONE_REPLICA = 'run on the main thread only with trainer.replicas: 1 (or --replicas 1)';

/** Numbers one synchronised BatchNorm exchange may carry: 2 per channel + 1, for up to 8192 channels. */
const SYNC_MAX_VALUES = 2 * 8192 + 1;

export interface ReplicasOptions {
  /** The registry name the main thread's model was built from; each worker builds its own copy. */
  model: string;
  /** The options it was built with (the weights are sent, so the seed does not matter). */
  modelOptions?: CreateModelOptions;
  /** Replicas including the main thread's: 1 = no workers; 'auto' = one per core. */
  count: ReplicaCount;
  /** The backend the main thread runs on, which the workers use too; above one replica, 'wasm' or 'cpu'. */
  backend: string;
}

/** Replicas that can't start or that failed: one line, with the fix. */
export class ReplicaError extends Error {
  override name = 'ReplicaError';
}

/** A replica count that can't be used (bad input: a config key or a flag). */
export class ReplicaCountError extends ReplicaError {
  override name = 'ReplicaCountError';
}

/**
 * How many replicas `count` means on `backend`: 'auto' is one per core on the CPU backends and 1
 * elsewhere (a GPU or tfjs-node uses the cores itself). An explicit count above 1 needs a CPU backend.
 */
export function resolveReplicaCount(count: ReplicaCount, backend: string): number {
  const cpuBackend = isHostBackend(backend);
  if (count === 'auto') return cpuBackend ? Math.max(1, cpus().length) : 1;
  if (!Number.isInteger(count) || count < 1)
    throw new ReplicaCountError(`replicas must be a positive integer or 'auto', got ${String(count)}`);
  if (count > 1 && !cpuBackend) {
    throw new ReplicaCountError(
      `replicas: ${count} needs the wasm or cpu backend, not '${backend}' (which uses the cores itself); set replicas: 1 or 'auto'`,
    );
  }
  return count;
}

interface Slot {
  index: number;
  worker: Worker;
  pending: { resolve: (r: ReplicaReply) => void; reject: (e: Error) => void } | null;
}

export class Replicas {
  private failure: Error | null = null;
  private closing = false;
  private nextId = 0;
  /** What the workers built (model_fingerprint.ts); empty with no workers. */
  private fingerprint: string[] = [];
  private modelName = '';

  private constructor(
    private readonly slots: Slot[],
    /** Number of replicas, the main thread's included. */
    readonly count: number,
    private readonly collectiveBuffer: SharedArrayBuffer,
  ) {}

  /** Starts count - 1 workers and waits until each has built its model. */
  static async start(options: ReplicasOptions): Promise<Replicas> {
    const backend = options.backend;
    const count = resolveReplicaCount(options.count, backend);
    const collective = Collective.allocate(count, SYNC_MAX_VALUES);
    const slots: Slot[] = [];
    const replicas = new Replicas(slots, count, collective);
    const ready: Array<Promise<ReplicaReply>> = [];
    for (let i = 1; i < count; i++) {
      let worker: Worker;
      try {
        worker = startWorker(
          import.meta.url,
          'replica_worker',
          // Each replica is one thread: XNNPACK threads on top would oversubscribe the cores.
          {
            workerData: {
              model: options.model,
              modelOptions: options.modelOptions ?? {},
              backend: backend as ReplicaInit['backend'],
              collective,
              rank: i,
            } satisfies ReplicaInit,
            name: `archai-replica-${i}`,
            env: { ...process.env, ARCHAI_TS_WASM_THREADS: '' },
          },
          `replicas need tsx when run from TypeScript sources (npm i -D tsx), or ${ONE_REPLICA}`,
        );
      } catch (err) {
        await replicas.close();
        throw new ReplicaError((err as Error).message);
      }
      const slot: Slot = { index: i, worker, pending: null };
      slots.push(slot);
      worker.on('message', (reply: ReplicaReply) => replicas.onReply(slot, reply));
      worker.on('error', (err) => replicas.fail(new ReplicaError(`replica ${i} failed (${err.message.split('\n')[0]}); ${ONE_REPLICA}`)));
      worker.on('exit', (code) => {
        if (!replicas.closing) replicas.fail(new ReplicaError(`replica ${i} exited with code ${code}; ${ONE_REPLICA}`));
      });
      ready.push(replicas.request(slot, null));
    }
    try {
      const replies = await Promise.all(ready);
      for (const r of replies) {
        if (r.kind !== 'ready') throw new ReplicaError(`replica sent '${r.kind}' before it was ready`);
        replicas.fingerprint = r.fingerprint;
      }
      replicas.modelName = options.model;
    } catch (err) {
      await replicas.close();
      throw err;
    }
    for (const s of slots) s.worker.unref();
    return replicas;
  }

  /**
   * One training step of `model` (the main thread's copy, which gets the update) shared among
   * `count` of the replicas (default all); the same update as trainStep with the same micro-batches.
   */
  async trainStep(
    model: Model,
    optimizer: Optimizer,
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    options: StepOptions,
    count = this.count,
  ): Promise<StepResult> {
    const n = x.shape[0];
    this.checkModel(model);
    const use = Math.max(1, Math.min(count, this.count));
    const { groups, sync } = this.plan(x.shape, options, use);
    if (groups.length === 1) return trainStep(model, optimizer, x, y, options);
    const collective = sync ? new Collective(this.collectiveBuffer, 0, groups.length) : null;
    collective?.reset();
    const state = BufferState.save(model);
    let replies: Array<Promise<ReplicaReply>>;
    try {
      const [weights, xs, ys] = await Promise.all([readWeights(model), x.data() as Promise<Float32Array>, y.data() as Promise<Int32Array>]);
      replies = groups.slice(1).map((g, i) => {
        const start = g[0]!.start;
        const rows = g.reduce((s, p) => s + p.size, 0);
        const req: ReplicaRequest = {
          id: 0,
          kind: 'train',
          ...copyWeights(weights),
          ...rowsOf(x.shape, xs, start, rows),
          y: ys.slice(start, start + rows),
          parts: g.map((p) => ({ start: p.start - start, size: p.size, rng: p.rng.getState(), ...(p.rows ? { rows: p.rows } : {}) })),
          batchSize: n,
          labelSmoothing: options.labelSmoothing ?? 0,
          sync: sync ? groups.length : 0,
        };
        return this.request(this.slots[i]!, req);
      });
      // Observed now: a replica may fail while this thread computes its share, before the await below.
      for (const r of replies) r.catch(() => undefined);
    } catch (e) {
      state.dispose();
      // Replicas already sent their share would wait for this thread at the first exchange.
      collective?.abort();
      throw e;
    }
    let own: ReturnType<typeof runMicroBatches>;
    try {
      own = runMicroBatches(model, x, y, groups[0]!, n, options, state, collective);
    } catch (e) {
      state.dispose();
      collective?.abort();
      // A replica's own failure says more than this thread's "another replica failed".
      const failed = (await Promise.allSettled(replies)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw e instanceof CollectiveAbortedError && failed ? failed.reason : e;
    }
    try {
      const others = await allReplies(replies);
      const total = tf.tidy(() => {
        const grads = own.grads.map((g, i) => tf.addN([g, ...others.map((r) => tf.tensor(trainReply(r).grads[i]!, g.shape))]));
        const buffers = own.buffers.map((b, i) => tf.addN([b, ...others.map((r) => tf.tensor(trainReply(r).buffers[i]!, b.shape))]));
        const loss = tf.addN([own.loss, ...others.map((r) => tf.scalar(trainReply(r).loss))]) as tf.Scalar;
        const correct = tf.addN([own.correct, ...others.map((r) => tf.scalar(trainReply(r).correct))]) as tf.Scalar;
        return { grads, buffers, loss, correct };
      });
      try {
        state.finish(total.buffers);
        applyUpdate(model, optimizer, total.grads, options);
      } finally {
        tf.dispose([...total.grads, ...total.buffers]);
      }
      return { loss: total.loss, correct: total.correct };
    } catch (e) {
      state.dispose();
      throw e;
    } finally {
      disposeSums(own);
    }
  }

  /** Throws unless `model` is the model the workers built (same class, options and parameters). */
  private checkModel(model: Model): void {
    if (this.fingerprint.length === 0) return;
    const diff = fingerprintDifference(modelFingerprint(model), this.fingerprint);
    if (diff != null) {
      throw new ReplicaError(
        `the model given to the replicas is not the one they built from '${this.modelName}' (${diff}); ` +
          `pass Replicas.start the registry name and options the model was created with`,
      );
    }
  }

  /**
   * The step's micro-batches grouped by replica. Synchronised (BatchNorm over every replica's rows,
   * shake draws sliced from the whole batch's: the step is the unsplit step) when each replica's
   * share fits one micro-batch; otherwise the micro-batches of planMicroBatches (see micro_batch.ts).
   */
  private plan(shape: readonly number[], options: StepOptions, use: number): { groups: MicroBatch[][]; sync: boolean } {
    const n = shape[0]!;
    const micro = options.microBatch || n;
    const shares = microBatchSizes(n, Math.ceil(n / use));
    if (shares.length > 1 && Math.max(...shares) <= micro) {
      const before = options.rng.getState();
      let start = 0;
      const groups = shares.map((size, i) => {
        // The main thread's share draws from the step's generator itself, so that it moves on as
        // the unsplit step moves it; the others replay it from the same state.
        const part: MicroBatch = {
          start,
          size,
          rng: i === 0 ? options.rng : new Generator().setState(before),
          rows: { offset: start, total: n },
        };
        start += size;
        return [part];
      });
      return { groups, sync: true };
    }
    return { groups: splitContiguous(planMicroBatches(shape, options.microBatch, options.rng, use), use), sync: false };
  }

  /** Eval-mode logits of x, its rows shared among the replicas. */
  async predict(model: Model, x: tf.Tensor4D): Promise<tf.Tensor2D> {
    const n = x.shape[0];
    this.checkModel(model);
    const used = Math.min(this.count, n);
    if (used === 1) return tf.tidy(() => model.forward(x, { training: false }));
    const sizes = microBatchSizes(n, Math.ceil(n / used));
    const [weights, xs] = await Promise.all([readWeights(model), x.data() as Promise<Float32Array>]);
    let start = sizes[0]!;
    const replies = sizes.slice(1).map((rows, i) => {
      const req: ReplicaRequest = { id: 0, kind: 'eval', ...copyWeights(weights), ...rowsOf(x.shape, xs, start, rows) };
      start += rows;
      return this.request(this.slots[i]!, req);
    });
    for (const r of replies) r.catch(() => undefined);
    const own = tf.tidy(() => model.forward(tf.slice(x, [0, 0, 0, 0], [sizes[0]!, -1, -1, -1]), { training: false }));
    try {
      const others = await allReplies(replies);
      return tf.tidy(() =>
        tf.concat([
          own,
          ...others.map((r) => {
            if (r.kind !== 'eval') throw new ReplicaError(`replica answered an eval request with '${r.kind}'`);
            return tf.tensor2d(r.logits, r.shape);
          }),
        ]),
      );
    } finally {
      own.dispose();
    }
  }

  /** Stops the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const s of this.slots) {
      s.pending?.reject(new ReplicaError('replicas were closed during a step'));
      s.pending = null;
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Throws at once (nothing is sent) when the replicas failed, are closed or the slot is busy. */
  private request(slot: Slot, req: ReplicaRequest | null): Promise<ReplicaReply> {
    if (this.failure) throw this.failure;
    if (this.closing) throw new ReplicaError('replicas are closed');
    if (slot.pending) throw new ReplicaError(`replica ${slot.index} is still busy with a request`);
    return new Promise<ReplicaReply>((resolve, reject) => {
      slot.pending = { resolve, reject };
      slot.worker.ref();
      if (req) {
        req.id = this.nextId++;
        const transfer = [req.x, ...(req.kind === 'train' ? [req.y] : []), ...req.params, ...req.buffers].map(
          (a) => a.buffer as ArrayBuffer,
        );
        slot.worker.postMessage(req, [...new Set(transfer)]);
      }
    });
  }

  private onReply(slot: Slot, reply: ReplicaReply): void {
    const p = slot.pending;
    if (!p) return;
    slot.pending = null;
    slot.worker.unref();
    if (reply.kind === 'error') p.reject(new ReplicaError(`replica ${slot.index} failed: ${reply.error.split('\n')[0]}`));
    else p.resolve(reply);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const s of this.slots) {
      s.pending?.reject(err);
      s.pending = null;
    }
    void this.close();
  }
}

/**
 * Every reply, or the first failure once all have settled: a failed replica must not leave another
 * one's reply pending (its slot would stay busy for the next step).
 */
async function allReplies(replies: Array<Promise<ReplicaReply>>): Promise<ReplicaReply[]> {
  const settled = await Promise.allSettled(replies);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<ReplicaReply>).value);
}

function trainReply(r: ReplicaReply): Extract<ReplicaReply, { kind: 'train' }> {
  if (r.kind !== 'train') throw new ReplicaError(`replica answered a training request with '${r.kind}'`);
  return r;
}

/** Contiguous groups of micro-batches, near-equal in images, at most k of them, none empty. */
function splitContiguous(parts: MicroBatch[], k: number): MicroBatch[][] {
  const groups: MicroBatch[][] = [];
  const per = Math.ceil(parts.length / Math.min(k, parts.length));
  for (let i = 0; i < parts.length; i += per) groups.push(parts.slice(i, i + per));
  return groups;
}

/** Rows [start, start + rows) of an NHWC batch read into xs: a copy for one replica's request. */
function rowsOf(
  shape: readonly number[],
  xs: Float32Array,
  start: number,
  rows: number,
): { x: Float32Array; shape: [number, number, number, number] } {
  const rowSize = shape[1]! * shape[2]! * shape[3]!;
  return { x: xs.slice(start * rowSize, (start + rows) * rowSize), shape: [rows, shape[1]!, shape[2]!, shape[3]!] };
}

async function readWeights(model: Model): Promise<ReplicaWeights> {
  const read = (v: tf.Tensor) => v.data() as Promise<Float32Array>;
  const [params, buffers] = await Promise.all([
    Promise.all(model.parameters().map(read)),
    Promise.all(floatBuffers(model).map(([, v]) => read(v))),
  ]);
  return { params, buffers };
}

/**
 * Copies of the weights for one request, which transfers them. Always copies: what data() gives may
 * be the backend's own storage (the cpu backend's is), which a transfer would take away.
 */
function copyWeights(w: ReplicaWeights): ReplicaWeights {
  return { params: w.params.map((a) => a.slice()), buffers: w.buffers.map((a) => a.slice()) };
}
