#!/usr/bin/env node
// The wasm convolution kernels alone, on ShakeResNet-26 2x32d's shapes: tfjs's XNNPACK forward conv
// against archai-ts's kernels (forward, input gradient, filter gradient), SIMD128 and relaxed-SIMD
// builds, on the same tensors in one process, alternating; GFLOP/s of the best of --reps runs.
//
//   npm run build && node bench/cpu/kernels.mjs [--batch 16] [--reps 6]
//
// Uses the built dist/ (internal modules: src/backend/wasm/kernels.ts).
import '@tensorflow/tfjs-backend-wasm';
import { tf, setBackend } from '../../dist/src/index.js';
import { bindWasmKernels, wasmKernelFlavour, wasmKernelModules } from '../../dist/src/backend/wasm/kernels.js';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .join(' ')
    .split('--')
    .filter(Boolean)
    .map((a) => a.trim().split(/\s+/)),
);
const batch = Number(args.batch ?? 16);
const reps = Number(args.reps ?? 6);

// tfjs's own Conv2D, captured before setBackend('wasm') puts archai-ts's in its place.
const xnnpackConv = tf.getKernel('Conv2D', 'wasm').kernelFunc;
await setBackend('wasm');
wasmKernelFlavour(); // switches on relaxed SIMD where it needs the flag, as the library does
const backend = tf.backend();
const modules = wasmKernelModules();
const builds = Object.entries(modules).map(([name, module]) => ({ name, k: bindWasmKernels(backend, module) }));
const at = (t) => backend.dataIdMap.get(t.dataId).memoryOffset;

function best(fn) {
  let t = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

console.log(`batch ${batch}, best of ${reps}; node ${process.version}; builds: ${builds.map((b) => b.name).join(', ')}`);
console.log(
  '| shape (H W Cin Cout stride) | XNNPACK fwd | ' +
    builds.flatMap((b) => [`${b.name} fwd`, `${b.name} dx`, `${b.name} dW`]).join(' | ') +
    ' |',
);
console.log('| --- |' + ' --- |'.repeat(1 + 3 * builds.length));
for (const [h, c, k, s] of [
  [32, 32, 32, 1],
  [16, 64, 64, 1],
  [8, 128, 128, 1],
  [32, 32, 64, 2],
  [16, 64, 128, 2],
]) {
  const oh = Math.ceil(h / s);
  const pad = s === 1 ? 1 : 0; // 'same' for these even sizes
  const x = tf.randomNormal([batch, h, h, c]);
  const w = tf.randomNormal([3, 3, c, k]);
  const dy = tf.randomNormal([batch, oh, oh, k]);
  const y = tf.zeros([batch, oh, oh, k]);
  const dx = tf.zeros([batch, h, h, c]);
  const dw = tf.zeros([3, 3, c, k]);
  const wt = tf.zeros([3, 3, k, c]);
  const gflop = (2 * batch * oh * oh * k * c * 9) / 1e9;
  const rate = (ms) => (gflop / (ms / 1000)).toFixed(1);
  const cells = [];
  const xnn = best(() =>
    backend.disposeData(
      xnnpackConv({ inputs: { x, filter: w }, backend, attrs: { strides: s, pad: 'same', dataFormat: 'NHWC', dilations: 1 } }).dataId,
    ),
  );
  cells.push(rate(xnn));
  for (const { k: kernels } of builds) {
    const e = kernels.exports;
    const zeros = kernels.zeros(Math.max(c, k));
    cells.push(rate(best(() => e.conv2d(at(x), at(w), 0, at(y), zeros, batch, h, h, c, oh, oh, k, 3, 3, s, s, pad, pad, 0))));
    cells.push(
      rate(
        best(() => {
          e.conv2d_transpose_filter(at(w), at(wt), 3, 3, c, k);
          e.conv2d_input_grad(at(dy), at(wt), at(dx), zeros, batch, h, h, c, oh, oh, k, 3, 3, s, s, pad, pad);
        }),
      ),
    );
    cells.push(rate(best(() => e.conv2d_filter_grad(at(x), at(dy), at(dw), batch, h, h, c, oh, oh, k, 3, 3, s, s, pad, pad))));
  }
  console.log(`| ${h} ${h} ${c} ${k} ${s} | ${cells.join(' | ')} |`);
  tf.dispose([x, w, dy, y, dx, dw, wt]);
}
console.log("(GFLOP/s; each gradient does the forward conv's multiply-adds)");
