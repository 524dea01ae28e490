import { readFileSync } from 'node:fs';
import { tf, setBackend } from '../dist/src/index.js';
await setBackend('wasm');
const backend = tf.backend();
const mem = backend.wasm.asm.memory;
const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync('/tmp/k.wasm')), { env: { memory: mem } });
const fg = inst.exports.conv2d_filter_grad;
const shapes = [[16,32,32,32,32,1],[16,32,32,32,36,1],[16,32,32,6,20,2],[16,16,16,64,64,1],[16,8,8,128,128,1],[16,32,32,32,64,2],[16,32,32,3,16,1]];
for (const [N,H,W,C,K,s] of shapes) {
  const x = tf.randomNormal([N,H,W,C]);
  const OH = Math.ceil(H/s), OW = Math.ceil(W/s);
  const dy = tf.randomNormal([N,OH,OW,K]);
  const attrs = { strides: [s,s], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [3,3,C,K] };
  let ref; let tRef = 1e9;
  for (let i=0;i<5;i++){ const t0=performance.now(); const r = tf.engine().runKernel('Conv2DBackpropFilter', {x, dy}, attrs); await r.data(); tRef=Math.min(tRef, performance.now()-t0); if (ref) ref.dispose(); ref=r; }
  const out = tf.zeros([3,3,C,K]); 
  const off = (t) => backend.dataIdMap.get(t.dataId).memoryOffset;
  let tMine=1e9;
  const pt = s===1?1:0; // 'same' pads: for s=2, H=32: total pad = max((16-1)*2+3-32,0)=1 -> top 0
  for (let i=0;i<5;i++){ const t0=performance.now(); fg(off(x), off(dy), off(out), N,H,W,C,OH,OW,K,3,3,s,s,pt,pt); tMine=Math.min(tMine, performance.now()-t0); }
  const diff = tf.max(tf.abs(tf.sub(out, ref))).dataSync()[0], mag = tf.max(tf.abs(ref)).dataSync()[0];
  const gf = 2*N*OH*OW*K*C*9/1e9;
  console.log(`${[N,H,W,C,K,s]}: ref ${tRef.toFixed(1)} ms (${(gf/tRef*1e3).toFixed(1)} GF/s), mine ${tMine.toFixed(1)} ms (${(gf/tMine*1e3).toFixed(1)} GF/s), maxdiff ${diff.toExponential(2)} / ${mag.toFixed(1)}`);
}
