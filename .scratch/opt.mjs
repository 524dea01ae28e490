import { tf, setBackend, createModel, Optimizer } from '../dist/src/index.js';
await setBackend('wasm');
const model = createModel('shake_resnet26_2x32d');
const params = model.namedParameters();
console.log('params', params.size, [...params.values()].reduce((a, p) => a + p.size, 0));
const opt = new Optimizer(params, { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
const grads = new Map([...params].map(([k, p]) => [k, tf.randomNormal(p.shape)]));
for (let i = 0; i < 5; i++) { const t0 = performance.now(); opt.apply(grads, 0.1); await [...params.values()][0].data(); console.log('apply', (performance.now() - t0).toFixed(1), 'ms'); }
// reading weights
for (let i = 0; i < 3; i++) { const t0 = performance.now(); await Promise.all([...params.values()].map((p) => p.data())); console.log('read', (performance.now() - t0).toFixed(1)); }
// addN from arrays
const arrs = await Promise.all([...grads.values()].map((g) => g.data()));
for (let i = 0; i < 3; i++) { const t0 = performance.now(); const t = tf.tidy(() => [...grads.values()].map((g, j) => tf.addN([g, tf.tensor(arrs[j], g.shape)]))); await t[0].data(); tf.dispose(t); console.log('addN', (performance.now() - t0).toFixed(1)); }
