#!/usr/bin/env node
// Correctness of a backend (webgpu by default) against reference backends, on the machine it runs
// on: conv2d forward and both gradients against the cpu backend's stock kernels, the two kernels
// archai-ts fixes in tfjs-backend-webgpu (rank-6 pad, AddN of many inputs), and two SGD-Nesterov
// training steps of a zoo net against the same steps on a reference backend. Prints one JSON line
// per check and a summary line; exits 1 if a check fails.
//
//   node scripts/gpu/webgpu-check.mjs --app DIR [--backend webgpu] [--reference wasm|cpu]
//        [--model shake_resnet26_2x32d] [--batch 8] [--quick]
// DIR holds the built package (dist/ and its node_modules): the checkout, or the unpacked bundle.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const quick = args.includes('--quick');
const APP = resolve(opt('--app', '.'));
const BACKEND = opt('--backend', 'webgpu');
const REFERENCE = opt('--reference', quick ? 'cpu' : 'wasm');
const MODEL = opt('--model', quick ? 'shake_resnet8_2x8d' : 'shake_resnet26_2x32d');
const BATCH = Number(opt('--batch', quick ? '2' : '8'));
const IMAGE = quick ? 16 : 32;
const TOL = 1e-4;
const STEP_TOL = 1e-3; // two steps through 26 layers on different kernels: allow accumulated rounding

const load = (p) => import(pathToFileURL(resolve(APP, 'dist/src', p)).href);
const { tf } = await load('tf.js');
const { setBackend } = await load('backend/index.js');
const webgpu = await load('backend/webgpu/device.js');
const { createModel } = await load('registry/index.js');
const { Generator } = await load('util/random.js');
const { trainStep } = await load('engine/step.js');
const { Optimizer } = await load('engine/optimizer.js');

tf.copyRegisteredKernels('cpu', 'cpu-stock');
tf.registerBackend('cpu-stock', tf.findBackendFactory('cpu'));

let failures = 0;
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const check = (name, value, tol, extra = {}) => {
  const ok = Number.isFinite(value) && value < tol;
  if (!ok) failures += 1;
  emit({ check: name, max_rel_diff: value, tol, ok, ...extra });
};

function values(n, seed) {
  const g = new Generator(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = g.uniform() * 2 - 1;
  return out;
}
const size = (s) => s.reduce((a, b) => a * b, 1);
function maxRel(a, b) {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}
async function on(backend, f) {
  if (backend === 'cpu-stock') await tf.setBackend('cpu-stock');
  else await setBackend(backend);
  return f();
}

const info = await setBackend(BACKEND);
emit({
  check: 'backend',
  backend: info.name,
  adapter: info.adapter ?? null,
  reference: REFERENCE,
  tfjs: tf.version.tfjs,
  node: process.version,
});

// conv2d and its gradients, shapes of the nets (stem, stage convs, stride-2 entry, 1x1 shortcut)
const n = quick ? 2 : 4;
const convCases = [
  { x: [n, 32, 32, 3], w: [3, 3, 3, 16], s: 1, p: 'same' },
  { x: [n, 32, 32, 32], w: [3, 3, 32, 32], s: 1, p: 'same' },
  { x: [n, 32, 32, 32], w: [3, 3, 32, 64], s: 2, p: 'same' },
  { x: [n, 16, 16, 64], w: [1, 1, 64, 32], s: 1, p: 'valid' },
  { x: [n, 9, 9, 8], w: [3, 3, 8, 8], s: 2, p: 'valid' },
].slice(0, quick ? 3 : 5);
async function convGrads(c) {
  const x = tf.tensor4d(values(size(c.x), 1), c.x);
  const w = tf.tensor4d(values(size(c.w), 2), c.w);
  const f = (a, b) => tf.conv2d(a, b, c.s, c.p);
  const y = f(x, w);
  const dy = tf.tensor4d(values(y.size, 3), y.shape);
  const [dx, dw] = tf.grads(f)([x, w], dy);
  const out = [await y.data(), await dx.data(), await dw.data()];
  tf.dispose([x, w, y, dy, dx, dw]);
  return out;
}
for (const c of convCases) {
  const got = await on(BACKEND, () => convGrads(c));
  const ref = await on('cpu-stock', () => convGrads(c));
  for (const [i, name] of ['conv2d', 'conv2d_dx', 'conv2d_dw'].entries()) {
    check(name, maxRel(got[i], ref[i]), TOL, { x: c.x, w: c.w, strides: c.s, pad: c.p });
  }
}

// the kernels archai-ts fixes in tfjs-backend-webgpu 4.22
async function padAndAddN() {
  const x = tf.tensor(values(2 * 3 * 4 * 5, 7), [2, 3, 1, 4, 1, 5]);
  const p = tf.pad(x, [
    [0, 0],
    [0, 0],
    [0, 1],
    [0, 0],
    [0, 1],
    [0, 0],
  ]);
  const xs = Array.from({ length: 53 }, (_, i) => tf.tensor2d(values(12, 100 + i), [3, 4]));
  const s = tf.addN(xs);
  const out = [await p.data(), await s.data()];
  tf.dispose([x, p, s, ...xs]);
  return out;
}
{
  const got = await on(BACKEND, padAndAddN);
  const ref = await on('cpu-stock', padAndAddN);
  check('pad_rank6', maxRel(got[0], ref[0]), 1e-7);
  check('addn_53', maxRel(got[1], ref[1]), 1e-5);
}

// two training steps of a zoo net, from the same weights, with no random draws ('even' shake)
const shake = { forward: 'even', backward: 'even', level: 'batch' };
async function initialState() {
  const m = createModel(MODEL, { seed: 0, shake });
  const sd = m.stateDict();
  const out = {};
  for (const [k, t] of Object.entries(sd)) out[k] = { dtype: 'float32', shape: t.shape, data: Float32Array.from(await t.data()) };
  tf.dispose(Object.values(sd));
  m.dispose();
  return out;
}
async function twoSteps(initial) {
  const model = createModel(MODEL, { seed: 0, shake });
  model.loadStateDict(initial);
  const opt = new Optimizer(model.namedParameters(), { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const x = tf.tensor4d(values(BATCH * IMAGE * IMAGE * 3, 11), [BATCH, IMAGE, IMAGE, 3]);
  const y = tf.tensor1d(
    Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10),
    'int32',
  );
  const rng = new Generator(5);
  const losses = [];
  let before = 0;
  const t0 = performance.now();
  for (let i = 0; i < 2; i++) {
    if (i === 1) before = tf.memory().numTensors;
    const r = trainStep(model, opt, x, y, { lr: 0.1, rng, gradClip: 5 });
    losses.push((await r.loss.data())[0]);
    tf.dispose([r.loss, r.correct]);
  }
  const ms = performance.now() - t0;
  const leaked = tf.memory().numTensors - before;
  const sd = model.stateDict({ layout: 'tfjs' });
  const state = {};
  for (const [k, t] of Object.entries(sd)) state[k] = await t.data();
  tf.dispose([...Object.values(sd), x, y]);
  opt.dispose();
  model.dispose();
  return { losses, state, leaked, ms };
}
{
  const initial = await on(REFERENCE, initialState);
  const ref = await on(REFERENCE, () => twoSteps(initial));
  const got = await on(BACKEND, () => twoSteps(initial));
  let worst = 0;
  let where = '';
  for (const k of Object.keys(ref.state)) {
    const d = maxRel(got.state[k] ?? [], ref.state[k]);
    if (!(d <= worst)) [worst, where] = [d, k];
  }
  const lossDiff = Math.max(...got.losses.map((l, i) => Math.abs(l - ref.losses[i]) / Math.max(1, Math.abs(ref.losses[i]))));
  check('train_step_loss', lossDiff, STEP_TOL, {
    model: MODEL,
    batch: BATCH,
    image: IMAGE,
    losses: got.losses,
    reference_losses: ref.losses,
  });
  check('train_step_state', worst, STEP_TOL, {
    model: MODEL,
    batch: BATCH,
    worst_at: where,
    ms: Math.round(got.ms),
    reference_ms: Math.round(ref.ms),
  });
  const leaked = Math.max(got.leaked, ref.leaked);
  if (leaked !== 0) failures += 1;
  emit({ check: 'train_step_tensors', leaked: got.leaked, reference_leaked: ref.leaked, ok: leaked === 0 });
}

// what 'auto' picks here, and whether WebGPU reported errors (its results are invalid then)
const auto = await setBackend('auto');
emit({ check: 'auto', backend: auto.name, adapter: auto.adapter ?? null, fallback_from: auto.fallbackFrom });
const errors = webgpu.webgpuErrors();
if (errors.count) failures += 1;
emit({ check: 'webgpu_errors', ...errors, ok: errors.count === 0 });
emit({ check: 'summary', backend: BACKEND, ok: failures === 0, failures });
await setBackend('cpu');
await webgpu.releaseWebGPU();
process.exitCode = failures === 0 ? 0 : 1;
