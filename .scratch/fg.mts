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
for (const [n, h, c, s] of [[16, 32, 32, 1], [16, 16, 64, 1], [16, 8, 128, 1]]) {
  console.log(`--- x [${n},${h},${h},${c}] 3x3 conv ${c}->${c}`);
  const x = tf.randomNormal([n, h, h, c]) as tf.Tensor4D;
  const dy = tf.randomNormal([n, h, h, c]) as tf.Tensor4D;
  // current formulation
  const cur = () => tf.tidy(() => {
    const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D;
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    return tf.transpose(tf.conv2d(xt, dyt, 1, 'valid'), [1, 2, 0, 3]);
  });
  await time('filter grad current', cur);
  // W-im2col: channels = (ow, n)
  const alt = () => tf.tidy(() => {
    const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]); // [Ci, Hp, Wp, N]
    const taps = [0, 1, 2].map((j) => tf.reshape(tf.slice(xt, [0, 0, j, 0], [c, h + 2, h, n]), [c, h + 2, 1, h * n]));
    const x2 = tf.concat(taps, 2) as tf.Tensor4D; // [Ci, Hp, 3, OW*N]
    const dyt = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [h, 1, h * n, c]) as tf.Tensor4D; // [OH,1,OW*N,Co]
    return tf.transpose(tf.conv2d(x2, dyt, 1, 'valid'), [1, 2, 0, 3]);
  });
  await time('filter grad W-im2col', alt);
  const a = cur(); const b = alt();
  const d = tf.max(tf.abs(tf.sub(a, b))); console.log('   max diff', (await d.data())[0], 'max', (await tf.max(tf.abs(a)).data())[0]);
  tf.dispose([x, dy, a, b, d]);
}
