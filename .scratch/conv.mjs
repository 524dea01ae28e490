import { tf, setBackend } from '../dist/src/index.js';
import { wasmKernels } from '../dist/src/backend/wasm_kernels.js';
await setBackend('wasm');
const b = tf.backend();
const K_ = wasmKernels(b).exports;
const off = (t) => b.dataIdMap.get(t.dataId).memoryOffset;
const shapes = [[16,32,32,32,32,1],[16,16,16,64,64,1],[16,8,8,128,128,1],[16,32,32,32,64,2],[16,16,16,64,128,2]];
const zeros = tf.zeros([1024]);
async function time(f, reps=5){ let best=1e9; for(let i=0;i<reps;i++){const t0=performance.now(); const r=f(); if (r) { await r.data(); } best=Math.min(best,performance.now()-t0); if (r) r.dispose();} return best; }
function maxdiff(a,b){ return tf.tidy(()=>[tf.max(tf.abs(tf.sub(a,b))).dataSync()[0], tf.max(tf.abs(b)).dataSync()[0]]); }
for (const [N,H,W,C,K,s] of shapes) {
  const x = tf.randomNormal([N,H,W,C]); const w = tf.randomNormal([3,3,C,K]);
  const OH=Math.ceil(H/s), OW=Math.ceil(W/s); const pt = s===1?1:0;
  const gf = 2*N*OH*OW*K*C*9/1e9;
  const ref = tf.conv2d(x,w,s,'same');
  const tX = await time(()=>tf.conv2d(x,w,s,'same'));
  const y = tf.zeros([N,OH,OW,K]);
  const tM = await time(()=>{K_.conv2d(off(x),off(w),0,off(y),off(zeros),N,H,W,C,OH,OW,K,3,3,s,s,pt,pt,0);});
  const [d,m]=maxdiff(y,ref);
  // input grad
  const dy = tf.randomNormal([N,OH,OW,K]);
  const refdx = tf.engine().runKernel('Conv2DBackpropInput',{dy, filter:w},{strides:s,pad:'same',dataFormat:'NHWC',inputShape:[N,H,W,C]});
  const tXi = await time(()=>tf.engine().runKernel('Conv2DBackpropInput',{dy, filter:w},{strides:s,pad:'same',dataFormat:'NHWC',inputShape:[N,H,W,C]}));
  const wt = tf.zeros([3,3,K,C]); const dx = tf.zeros([N,H,W,C]);
  const tMi = await time(()=>{K_.conv2d_transpose_filter(off(w),off(wt),3,3,C,K); K_.conv2d_input_grad(off(dy),off(wt),off(dx),off(zeros),N,H,W,C,OH,OW,K,3,3,s,s,pt,pt);});
  const [di,mi]=maxdiff(dx,refdx);
  console.log(`${[N,H,W,C,K,s]}: fwd xnn ${tX.toFixed(1)} (${(gf/tX*1e3).toFixed(1)} GF/s) mine ${tM.toFixed(1)} (${(gf/tM*1e3).toFixed(1)}) diff ${d.toExponential(1)}/${m.toFixed(0)} | dx now ${tXi.toFixed(1)} (${(gf/tXi*1e3).toFixed(1)}) mine ${tMi.toFixed(1)} (${(gf/tMi*1e3).toFixed(1)}) diff ${di.toExponential(1)}/${mi.toFixed(0)}`);
  tf.dispose([x,w,ref,y,dy,refdx,wt,dx]);
}
