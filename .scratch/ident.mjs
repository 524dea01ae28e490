import { tf, setBackend, runBench } from '../dist/src/index.js';
await setBackend('wasm');
const k = tf.getKernel('Identity', 'wasm');
const counts = new Map(); let bytes = 0;
tf.unregisterKernel('Identity', 'wasm');
tf.registerKernel({ ...k, kernelFunc: (p) => { const st = new Error().stack.split('\n').slice(2, 9).map(s=>s.trim().replace(/\(.*\/(dist|node_modules)\//,'(')).join(' < '); counts.set(st, (counts.get(st) ?? 0) + 1); bytes += p.inputs.x.shape.reduce((a,b)=>a*b,1)*4; return k.kernelFunc(p); } });
await runBench({ model: 'shake_resnet26_2x32d', mode: 'train', batch: 16, backend: 'wasm', steps: 1, warmup: 0, replicas: 1 });
console.log('MB copied', (bytes/1e6).toFixed(1));
for (const [s, n] of [...counts].sort((a,b)=>b[1]-a[1]).slice(0,8)) console.log(n, s.slice(0, 600), '\n');
