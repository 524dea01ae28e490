import { setBackend } from '../src/backend/index.js';
import { tf } from '../src/tf.js';
import { batchNormTrainHost } from '../src/backend/batchnorm_kernels.js';
await setBackend('wasm');
const x = tf.randomNormal([16, 32, 32, 32]);
const g = tf.ones([32]); const b = tf.zeros([32]);
async function time(name: string, fn: () => tf.Tensor, reps = 20) {
  for (let i = 0; i < 3; i++) { const r = fn(); await r.data(); r.dispose(); }
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const r = fn(); await r.data(); r.dispose(); }
  console.log(name, ((performance.now() - t0) / reps).toFixed(3), 'ms');
}
await time('host bn fwd', () => tf.tidy(() => { const r = batchNormTrainHost(x, g, b, 1e-5); tf.dispose([r.mean, r.variance]); return r.y; }));
await time('host bn fwd+grad', () => tf.tidy(() => { const f = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => { const r = batchNormTrainHost(xx, gg, bb, 1e-5); tf.dispose([r.mean, r.variance]); return tf.sum(r.y); }); return f([x, g, b])[0]!; }));
await time('copy out only', () => tf.clone(x));
// pure JS loops on plain arrays
const xs = new Float32Array(524288).map(() => Math.random());
const c = 32;
let t0 = performance.now();
for (let r = 0; r < 20; r++) { const s = new Float64Array(c); for (let i = 0; i < xs.length; i += c) for (let k = 0; k < c; k++) s[k] += xs[i + k]!; }
console.log('js sum loop', ((performance.now() - t0) / 20).toFixed(3), 'ms');
t0 = performance.now();
for (let r = 0; r < 20; r++) { const s = new Float32Array(c); for (let i = 0; i < xs.length; i += c) for (let k = 0; k < c; k++) s[k] += xs[i + k]!; }
console.log('js sum loop f32 acc', ((performance.now() - t0) / 20).toFixed(3), 'ms');
const y = new Float32Array(xs.length); const sc = new Float32Array(c).fill(2); const sh = new Float32Array(c).fill(1);
t0 = performance.now();
for (let r = 0; r < 20; r++) { for (let i = 0; i < xs.length; i += c) for (let k = 0; k < c; k++) y[i + k] = xs[i + k]! * sc[k]! + sh[k]!; }
console.log('js affine loop', ((performance.now() - t0) / 20).toFixed(3), 'ms');
