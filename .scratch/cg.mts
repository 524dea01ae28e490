import { setBackend } from '../src/backend/index.js';
import { tf } from '../src/tf.js';
await setBackend('wasm');
async function time(name: string, fn: () => tf.Tensor, reps = 10) {
  for (let i = 0; i < 2; i++) { const r = fn(); await r.data(); r.dispose(); }
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const r = fn(); await r.data(); r.dispose(); }
  const ms = (performance.now() - t0) / reps;
  console.log(name.padEnd(40), ms.toFixed(2), 'ms');
  return ms;
}
for (const [n, h, c] of [[16, 32, 32], [16, 16, 64], [16, 8, 128]]) {
  console.log(`--- x [${n},${h},${h},${c}] 3x3 conv ${c}->${c}`);
  const x = tf.randomNormal([n, h, h, c]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, c, c]) as tf.Tensor4D;
  const dy = tf.randomNormal([n, h, h, c]) as tf.Tensor4D;
  const gflop = 2 * n * h * h * 9 * c * c / 1e9;
  const f = await time('forward conv', () => tf.conv2d(x, w, 1, 'same'));
  console.log('   GFLOP/s', (gflop / f * 1000).toFixed(1));
  await time('input grad (ours)', () => tf.conv2dTranspose(dy, w, [n, h, h, c], 1, 'same'));
  await time('filter grad (ours)', () => tf.tidy(() => { const g = tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, ww as tf.Tensor4D, 1, 'same'), dy))); return g(w); }));
  // im2col + plain matmul
  await time('filter grad im2col+matmul', () => tf.tidy(() => {
    const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const cols: tf.Tensor[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) cols.push(tf.slice(xp, [0, i, j, 0], [n, h, h, c]));
    const P = tf.reshape(tf.concat(cols, 3), [n * h * h, 9 * c]);
    const dyt = tf.transpose(tf.reshape(dy, [n * h * h, c]));
    return tf.reshape(tf.transpose(tf.matMul(dyt, P)), [3, 3, c, c]);
  }));
  await time('  matmul part only', () => tf.tidy(() => tf.matMul(tf.randomNormal([c, n * h * h]), tf.randomNormal([n * h * h, 9 * c]))));
  await time('  transposeA matmul', () => tf.tidy(() => tf.matMul(tf.randomNormal([n * h * h, c]), tf.randomNormal([n * h * h, 9 * c]), true, false)));
  await time('reverse filter', () => tf.reverse(w, [0, 1]));
  tf.dispose([x, w, dy]);
}
