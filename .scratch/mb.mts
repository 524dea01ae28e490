import { setBackend } from '../src/backend/index.js';
import { tf } from '../src/tf.js';
await setBackend('wasm');
const x = tf.randomNormal([16, 32, 32, 32]);
const x2 = tf.reshape(x, [16 * 32 * 32, 32]);
const ones = tf.ones([1, 16 * 32 * 32]);
const f = tf.randomNormal([3, 3, 32, 32]);
async function time(name: string, fn: () => tf.Tensor, reps = 20) {
  for (let i = 0; i < 3; i++) { const r = fn(); await r.data(); r.dispose(); }
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const r = fn(); await r.data(); r.dispose(); }
  console.log(name, ((performance.now() - t0) / reps).toFixed(3), 'ms');
}
await time('sum axes012', () => tf.sum(x, [0, 1, 2]));
await time('mean axes012', () => tf.mean(x, [0, 1, 2]));
await time('moments', () => { const m = tf.moments(x, [0, 1, 2]); m.variance.dispose(); return m.mean; });
await time('matmul ones', () => tf.matMul(ones, x2));
await time('sum axis0 of 2d', () => tf.sum(x2, 0));
await time('reverse filter', () => tf.reverse(f, [0, 1]));
await time('gather flip', () => tf.tidy(() => tf.reshape(tf.gather(tf.reshape(f, [9, 1024]), tf.tensor1d([8,7,6,5,4,3,2,1,0], 'int32')), [3, 3, 32, 32])));
await time('mul', () => tf.mul(x, x));
await time('sub', () => tf.sub(x, x));
await time('transpose', () => tf.transpose(x, [3, 1, 2, 0]));
await time('batchnorm', () => tf.batchNorm4d(x as tf.Tensor4D, tf.zeros([32]), tf.ones([32]), tf.zeros([32]), tf.ones([32]), 1e-5));
