import { setBackend } from '../src/backend/index.js';
import { tf } from '../src/tf.js';
await setBackend('wasm');
async function time(name: string, fn: () => tf.Tensor, reps = 8) {
  for (let i = 0; i < 2; i++) { const r = fn(); await r.data(); r.dispose(); }
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); const r = fn(); await r.data(); r.dispose(); ts.push(performance.now() - t0); }
  console.log(name.padEnd(34), 'min', Math.min(...ts).toFixed(2), 'ms');
}
for (const [n, h, c] of [[16, 32, 32], [16, 16, 64], [16, 8, 128]]) {
  console.log(`--- x [${n},${h},${h},${c}] 3x3 ${c}->${c}`);
  const x = tf.randomNormal([n, h, h, c]) as tf.Tensor4D;
  const dy = tf.randomNormal([n, h, h, c]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, c, c]) as tf.Tensor4D;
  await time('forward conv', () => tf.conv2d(x, w, 1, 'same'));
  const cur = () => tf.tidy(() => {
    const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D;
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    return tf.transpose(tf.conv2d(xt, dyt, 1, 'valid'), [1, 2, 0, 3]);
  });
  await time('filter grad current', cur);
  // im2col as a 1x1 conv GEMM: A [(ci,i,j), (oh,ow,n)] . B [(oh,ow,n), co]
  const gemm = () => tf.tidy(() => {
    const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]); // [Ci, Hp, Wp, N]
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) taps.push(tf.slice(xt, [0, i, j, 0], [c, h, h, n]));
    const A = tf.reshape(tf.stack(taps, 1), [1, 1, c * 9, h * h * n]) as tf.Tensor4D;
    const B = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [1, 1, h * h * n, c]) as tf.Tensor4D;
    const out = tf.reshape(tf.conv2d(A, B, 1, 'valid'), [c, 3, 3, c]);
    return tf.transpose(out, [1, 2, 0, 3]);
  });
  await time('filter grad im2col 1x1-conv', gemm);
  const build = () => tf.tidy(() => {
    const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]);
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) taps.push(tf.slice(xt, [0, i, j, 0], [c, h, h, n]));
    return tf.stack(taps, 1);
  });
  await time('  im2col build only', build);
  const A = build(); const A4 = tf.reshape(A, [1, 1, c * 9, h * h * n]) as tf.Tensor4D;
  const B = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [1, 1, h * h * n, c]) as tf.Tensor4D;
  await time('  1x1 conv gemm only', () => tf.conv2d(A4, B, 1, 'valid'));
  await time('  matMul gemm only', () => tf.matMul(tf.reshape(A4, [c * 9, h * h * n]), tf.reshape(B, [h * h * n, c])));
  const a = cur(); const b = gemm();
  const d = tf.max(tf.abs(tf.sub(a, b))); console.log('   max diff', (await d.data())[0]);
  tf.dispose([x, dy, w, a, b, d, A, A4, B]);
}
