import { tf, setBackend } from '../dist/src/index.js';
await setBackend('wasm');
const b = tf.backend();
const cases=[];
for (const [strides, pad] of [[1,'same'],[2,'same'],[1,'valid'],[2,[[0,0],[0,1],[2,0],[0,0]]],[[2,1],1]])
 for (const [k,cin,cout] of [[3,8,8],[3,3,16],[1,12,8],[3,5,8]]) cases.push({x:[3,9,7,cin],w:[k,k,cin,cout],strides,pad});
for (const c of cases) {
  const x = tf.randomNormal(c.x), w = tf.randomNormal(c.w);
  const [dx, dw] = tf.grads((a, f) => tf.sum(tf.conv2d(a, f, c.strides, c.pad)))([x, w]);
  await dw.data();
  // heap check: many allocations
  const ts = []; for (let i=0;i<50;i++) ts.push(tf.ones([100+i]));
  const s = tf.addN(ts.map(t=>tf.sum(t))); 
  console.log(JSON.stringify(c), (await s.data())[0]);
  tf.dispose([x,w,dx,dw,s,...ts]);
}
