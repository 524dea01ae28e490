/**
 * Worker-thread entry of a data-parallel replica (replicas.ts): its own tfjs backend and copy of the
 * model, which takes the main thread's weights with every request and runs its share of a step.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { setBackend } from '../backend/index.js';
import { Generator } from '../util/random.js';
import { createModel } from '../registry/index.js';
import { tf } from '../tf.js';
import type { ReplicaInit, ReplicaReply, ReplicaRequest, ReplicaWeights } from './replica_protocol.js';
import { Collective } from './collective.js';
import { modelFingerprint } from './model_fingerprint.js';
import { BufferState, disposeSums, floatBuffers, runMicroBatches } from '../engine/step.js';

const port = parentPort;
if (port === null) throw new Error('replica worker must run in a worker thread');
const init = workerData as ReplicaInit;
await setBackend(init.backend);
const model = createModel(init.model, init.modelOptions);
const params = model.parameters();
const buffers = floatBuffers(model).map(([, v]) => v);

function setWeights(w: ReplicaWeights): void {
  const assign = (v: tf.Variable, data: Float32Array) => {
    const t = tf.tensor(data, v.shape, 'float32');
    v.assign(t);
    t.dispose();
  };
  for (const [i, v] of params.entries()) assign(v, w.params[i]!);
  for (const [i, v] of buffers.entries()) assign(v, w.buffers[i]!);
}

/** A copy of t's values: what data() gives may be the backend's own storage, which a transfer would take away. */
async function read(t: tf.Tensor): Promise<Float32Array> {
  return ((await t.data()) as Float32Array).slice();
}

async function handle(req: ReplicaRequest): Promise<{ reply: ReplicaReply; transfer: ArrayBuffer[] }> {
  setWeights(req);
  const x = tf.tensor4d(req.x, req.shape);
  try {
    if (req.kind === 'eval') {
      const logits = tf.tidy(() => model.forward(x, { training: false }));
      const data = await read(logits);
      const shape = logits.shape as [number, number];
      logits.dispose();
      return { reply: { id: req.id, kind: 'eval', logits: data, shape }, transfer: [data.buffer as ArrayBuffer] };
    }
    const y = tf.tensor1d(req.y, 'int32');
    const parts = req.parts.map((p) => ({
      start: p.start,
      size: p.size,
      rng: new Generator().setState(p.rng),
      ...(p.rows ? { rows: p.rows } : {}),
    }));
    const state = BufferState.save(model);
    try {
      const sums = runMicroBatches(
        model,
        x,
        y,
        parts,
        req.batchSize,
        { labelSmoothing: req.labelSmoothing },
        state,
        req.sync ? new Collective(init.collective, init.rank, req.sync) : null,
      );
      try {
        const [grads, buffers, [loss], [correct]] = await Promise.all([
          Promise.all(sums.grads.map(read)),
          Promise.all(sums.buffers.map(read)),
          read(sums.loss),
          read(sums.correct),
        ]);
        const transfer = [...grads, ...buffers].map((a) => a.buffer as ArrayBuffer);
        return { reply: { id: req.id, kind: 'train', grads, buffers, loss: loss!, correct: correct! }, transfer };
      } finally {
        disposeSums(sums);
      }
    } finally {
      state.dispose();
      y.dispose();
    }
  } finally {
    x.dispose();
  }
}

// One request at a time: the main thread waits for each reply before it sends the next.
let queue = Promise.resolve();
port.on('message', (req: ReplicaRequest) => {
  queue = queue.then(async () => {
    try {
      const { reply, transfer } = await handle(req);
      port.postMessage(reply, transfer);
    } catch (err) {
      // Wake the other replicas if they wait for this one at a BatchNorm exchange.
      if (req.kind === 'train' && req.sync) new Collective(init.collective, init.rank, req.sync).abort();
      port.postMessage({ id: req.id, kind: 'error', error: err instanceof Error ? err.message : String(err) } satisfies ReplicaReply);
    }
  });
});
port.postMessage({ id: -1, kind: 'ready', fingerprint: modelFingerprint(model) } satisfies ReplicaReply);
