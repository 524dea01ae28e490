// Writes checkpoints in a loop until killed; every tensor of checkpoint k holds the value k.
import { tf } from '../../src/tf.js';
import { CheckpointDir, writeCheckpoint, type TrainingState } from '../../src/trainer/checkpoint.js';

const dir = new CheckpointDir(process.argv[2], 2);
const state = (step: number): TrainingState => ({
  epoch: step,
  batch: 0,
  step,
  rng: [1, 2, 3, 4],
  partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
  history: [],
  best: null,
  model: 'm',
  backend: 'cpu',
  replicas: 1,
  config: 'x: 1\n',
});
await tf.setBackend('cpu');
for (let k = 1; ; k++) {
  const model = { a: tf.fill([256, 1024], k), b: tf.fill([7], k) };
  const path = dir.pathForStep(k);
  await writeCheckpoint(path, { state: state(k), model, optimizer: { 'a.momentum_buffer': tf.fill([256, 1024], k) }, optimizerStep: k });
  await dir.alias(path, dir.last);
  await dir.prune();
  tf.dispose(model);
  if (k === 1) process.send?.('ready');
}
