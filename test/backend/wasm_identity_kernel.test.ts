import { beforeAll, describe, expect, it } from 'vitest';

import { tf } from '../../src/tf.js';
import { setBackend } from '../../src/backend/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

describe('Identity on wasm', () => {
  it('shares the data instead of copying it, and the copy outlives the original', async () => {
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const ids = tf.backend().numDataIds();
    const y = tf.clone(x);
    expect(tf.backend().numDataIds()).toBe(ids);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(tf.backend().numDataIds()).toBe(ids - 1);
  });

  it('keeps the values a gradient saved when the forward tensors are gone', async () => {
    const x = tf.tensor([1, -2, 3]);
    const before = tf.memory().numTensors;
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), t)))(x);
    expect(Array.from(await g.data())).toEqual([2, 0, 6]);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('still copies strings (the stock kernel)', async () => {
    const s = tf.tensor(['a', 'b']);
    const t = tf.clone(s);
    s.dispose();
    expect(await t.data()).toEqual(['a', 'b']);
    t.dispose();
  });
});
