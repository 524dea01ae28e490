import { setBackend } from '../src/backend/index.js';
import { tf } from '../src/tf.js';
import { createModel } from '../src/registry/index.js';
import { Replicas } from '../src/trainer/replicas.js';
import { Optimizer } from '../src/trainer/optimizer.js';
import { Generator } from '../src/nn/random.js';
import { runMicroBatches, BufferState } from '../src/trainer/step.js';
await setBackend('wasm');
const model = createModel('shake_resnet26_2x32d', { numClasses: 10, seed: 0 });
const reps = await Replicas.start({ model: 'shake_resnet26_2x32d', modelOptions: { numClasses: 10 }, count: 2 });
const x = tf.randomNormal([32, 32, 32, 3]) as tf.Tensor4D;
const y = tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32');
// time the worker alone: send it all of a 16-image request by predict? use internal request via trainStep timing split
const opt = new Optimizer(model.namedParameters(), { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
for (let i = 0; i < 4; i++) {
  const t0 = performance.now();
  const r = await reps.trainStep(model, opt, x, y, { lr: 0.1, rng: new Generator(i + 1) });
  await r.loss.data();
  tf.dispose([r.loss, r.correct]);
  const t1 = performance.now();
  // main alone on 16
  const xs = tf.slice(x, [0, 0, 0, 0], [16, -1, -1, -1]) as tf.Tensor4D; const ys = tf.slice(y, [0], [16]) as tf.Tensor1D;
  const s = runMicroBatches(model, xs, ys, [{ start: 0, size: 16, rng: new Generator(3) }], 16, {}, null);
  await s.loss.data();
  tf.dispose([...s.grads, s.loss, s.correct, xs, ys]);
  console.log('replicated step', (t1 - t0).toFixed(0), 'main 16 alone', (performance.now() - t1).toFixed(0));
}
await reps.close();
