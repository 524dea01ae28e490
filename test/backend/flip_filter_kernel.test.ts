import { describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { FLIP_FILTER, flipFilter } from '../../src/backend/host/flip_filter_kernel.js';
import { tf } from '../../src/tf.js';
import { randn } from '../helpers.js';

describe.each(['cpu', 'wasm'] as const)('flipFilter on %s', (backend) => {
  it('equals reverse over both spatial axes then an in/out channel swap, on a non-square filter', async () => {
    await setBackend(backend);
    expect(tf.getKernel(FLIP_FILTER, backend)).toBeDefined();
    const w = randn([3, 2, 5, 7], 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const got = flipFilter(w);
    expect(tf.memory().numTensors).toBe(before + 1);
    const want = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]);
    expect(got.shape).toEqual([3, 2, 7, 5]);
    expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
    tf.dispose([w, got, want]);
  });
});
