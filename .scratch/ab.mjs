// A/B two kernel modules on the same tensors: node --experimental-wasm-relaxed-simd .scratch/ab.mjs a.wasm b.wasm
import { readFileSync } from 'node:fs';
import { tf, setBackend } from '../dist/src/index.js';
await setBackend('wasm');
const b = tf.backend();
const mem = b.wasm.asm.memory;
const mods = process.argv.slice(2).map((p) => { const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(p)), { env: { memory: mem } }).exports; e.__stack_pointer.value = (b.wasm._malloc(65552) + 65536) & ~15; return e; });
const off = (t) => b.dataIdMap.get(t.dataId).memoryOffset;
const zeros = tf.zeros([1024]);
const shapes = [[16,32,32,32,32,1],[16,16,16,64,64,1],[16,8,8,128,128,1],[16,32,32,32,64,2]];
for (const [N,H,W,C,K,s] of shapes) {
  const x = tf.randomNormal([N,H,W,C]); const w = tf.randomNormal([3,3,C,K]);
  const OH=Math.ceil(H/s), OW=Math.ceil(W/s); const pt = s===1?1:0;
  const gf = 2*N*OH*OW*K*C*9/1e9;
  const y = tf.zeros([N,OH,OW,K]); const dy = tf.randomNormal([N,OH,OW,K]); const dw = tf.zeros([3,3,C,K]);
  const wt = tf.zeros([3,3,K,C]); const dx = tf.zeros([N,H,W,C]);
  const best = mods.map(() => [1e9,1e9,1e9]);
  for (let r = 0; r < 6; r++) for (const [i, m] of mods.entries()) {
    let t0 = performance.now(); m.conv2d(off(x),off(w),0,off(y),off(zeros),N,H,W,C,OH,OW,K,3,3,s,s,pt,pt,0); best[i][0] = Math.min(best[i][0], performance.now()-t0);
    t0 = performance.now(); m.conv2d_filter_grad(off(x),off(dy),off(dw),N,H,W,C,OH,OW,K,3,3,s,s,pt,pt); best[i][1] = Math.min(best[i][1], performance.now()-t0);
    t0 = performance.now(); m.conv2d_transpose_filter(off(w),off(wt),3,3,C,K); m.conv2d_input_grad(off(dy),off(wt),off(dx),off(zeros),N,H,W,C,OH,OW,K,3,3,s,s,pt,pt); best[i][2] = Math.min(best[i][2], performance.now()-t0);
  }
  console.log(`${[N,H,W,C,K,s]}: ` + best.map((bs, i) => `[${i}] fwd ${(gf/bs[0]*1e3).toFixed(1)} dw ${(gf/bs[1]*1e3).toFixed(1)} dx ${(gf/bs[2]*1e3).toFixed(1)} GF/s`).join(' | '));
  tf.dispose([x,w,y,dy,dw,wt,dx]);
}
