/**
 * Worker-thread entry of the DataLoader: prepares batch pixels on request. Node runs the compiled
 * dist/src/data/worker.js directly; from TypeScript sources the pool bootstraps tsx first (see
 * pool.ts), which is why this file imports nothing beyond the pure preparation code.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { pixelTable, type ImageSource } from './augment.js';
import { prepareBatchPixels } from './prepare.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker_protocol.js';

const init = workerData as WorkerInit;
const source: ImageSource = {
  images: new Uint8Array(init.images, init.byteOffset, init.byteLength),
  height: init.height,
  width: init.width,
  channels: init.channels,
  mean: init.mean,
  std: init.std,
};
const table = pixelTable(source, init.augment.normalize);
const port = parentPort;
if (port === null) throw new Error('data loader worker must run in a worker thread');

port.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const x = prepareBatchPixels(source, req.indices, init.seed, req.epoch, req.index, init.augment, table);
    reply = { id: req.id, x };
    port.postMessage(reply, [x.buffer as ArrayBuffer]);
  } catch (err) {
    reply = { id: req.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    port.postMessage(reply);
  }
});
