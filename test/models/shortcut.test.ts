import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { Shortcut, shiftOnePixel } from '../../src/models/shakeshake/shortcut.js';
import { tf } from '../../src/tf.js';
import { expectClose, randn } from '../helpers.js';

beforeAll(async () => {
  await setBackend('cpu');
});

describe('Shortcut', () => {
  it('shifts by one pixel as F.pad(h, (-1, 1, -1, 1)): drop the first row and column, zero-fill the far end', async () => {
    const [n, h, w, c] = [2, 4, 5, 3];
    const x = randn([n, h, w, c], 1) as tf.Tensor4D;
    const xs = await x.data();
    const expected = new Float32Array(xs.length);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          for (let k = 0; k < c; k++) {
            const src = i + 1 < h && j + 1 < w ? xs[((b * h + i + 1) * w + j + 1) * c + k] : 0;
            expected[((b * h + i) * w + j) * c + k] = src;
          }
    expect(Array.from(await shiftOnePixel(x).data())).toEqual(Array.from(expected));
  });

  it('is BN(concat(conv1(relu(x)[::s]), conv2(shift(relu(x))[::s]))) computed naively', async () => {
    const sc = new Shortcut({ inChannels: 3, outChannels: 4, stride: 2 });
    const x = randn([2, 5, 5, 3], 2);
    const xs = await tf.relu(x).data();
    const w1 = await sc.conv1.weight.data(); // [1,1,3,2]
    const w2 = await sc.conv2.weight.data();
    const oh = 3;
    const pre = new Float32Array(2 * oh * oh * 4);
    const at = (b: number, i: number, j: number, k: number) => (i < 5 && j < 5 ? xs[((b * 5 + i) * 5 + j) * 3 + k] : 0);
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < oh; j++)
          for (let o = 0; o < 2; o++) {
            let s1 = 0;
            let s2 = 0;
            for (let k = 0; k < 3; k++) {
              s1 += at(b, 2 * i, 2 * j, k) * w1[k * 2 + o];
              s2 += at(b, 2 * i + 1, 2 * j + 1, k) * w2[k * 2 + o];
            }
            pre[((b * oh + i) * oh + j) * 4 + o] = s1;
            pre[((b * oh + i) * oh + j) * 4 + 2 + o] = s2;
          }
    // Eval with fresh running stats (0, 1) makes BN the identity up to eps.
    const expected = tf.div(tf.tensor4d(pre, [2, oh, oh, 4]), Math.sqrt(1 + 1e-5));
    await expectClose(sc.forward(x, { training: false }), expected, 1e-5);
  });
});
