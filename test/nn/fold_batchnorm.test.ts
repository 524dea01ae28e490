import { describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { BatchNorm2d } from '../../src/nn/batchnorm2d.js';
import { Conv2d } from '../../src/nn/conv2d.js';
import { Generator } from '../../src/util/random.js';
import { ReLU } from '../../src/nn/relu.js';
import { Sequential } from '../../src/nn/sequential.js';
import { tf } from '../../src/tf.js';
import { maxRelDiff, randn } from '../helpers.js';

describe.each(['cpu', 'wasm'] as const)('eval-mode Conv2d + BatchNorm2d folding on %s', (backend) => {
  it.each([
    ['3x3, pad 1, no bias, then ReLU', { kernelSize: 3, padding: 1, bias: false, groups: 1 }, true],
    ['1x1 stride 2 with bias, no ReLU', { kernelSize: 1, stride: 2, bias: true, groups: 1 }, false],
    ['grouped 3x3 (4 groups), then ReLU', { kernelSize: 3, padding: 1, bias: false, groups: 4 }, true],
  ] as const)('equals the layers run one by one: %s', async (_label, conv, relu) => {
    await setBackend(backend);
    const rng = new Generator(4);
    const c = new Conv2d({ inChannels: 8, outChannels: 12, rng, ...conv });
    const bn = new BatchNorm2d({ numFeatures: 12 });
    // Running statistics and affine parameters far from the identity, so a wrong fold shows.
    bn.loadStateDict({
      weight: tf.add(randn([12], 1), 1.5),
      bias: randn([12], 2),
      running_mean: randn([12], 3),
      running_var: tf.add(tf.abs(randn([12], 4)), 0.5),
      num_batches_tracked: tf.scalar(3, 'int32'),
    });
    const seq = new Sequential(relu ? [c, bn, new ReLU()] : [c, bn]);
    const x = randn([2, 6, 6, 8], 5);
    const before = tf.memory().numTensors;
    const fused = seq.forward(x, { training: false });
    expect(tf.memory().numTensors).toBe(before + 1);
    const plain = tf.tidy(() => {
      const y = bn.forward(c.forward(x), { training: false });
      return relu ? tf.relu(y) : y;
    });
    expect(await maxRelDiff(fused, plain)).toBeLessThan(1e-5);
    tf.dispose([x, fused, plain]);
    seq.dispose();
  });
});
