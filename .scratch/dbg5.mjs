import { tf, setBackend } from '../dist/src/index.js';
await setBackend('wasm');
const [s0,s1,pad] = process.argv.slice(2).map(Number);
const x = tf.randomNormal([3,9,7,8]), w = tf.randomNormal([3,3,8,6]);
const y = tf.conv2d(x, w, [s0,s1], pad);
console.log(y.shape, (await y.data())[0]);
const ts = []; for (let i=0;i<50;i++) ts.push(tf.ones([100+i]));
console.log((await tf.addN(ts.map(t=>tf.sum(t))).data())[0]);
