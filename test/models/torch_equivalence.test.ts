/**
 * Equivalence with archai's PyTorch modules, from fixtures made by scripts/make_torch_fixtures.py
 * (see test/fixtures/torch/README.md): same weights give the same eval outputs, training outputs
 * (shake modes even), parameter gradients and BN running statistics, within 1e-4 relative.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { ShakeBottleNeck } from '../../src/models/shakeshake/shake_bottleneck.js';
import { ShakeResNet } from '../../src/models/shakeshake/shake_resnet.js';
import { resolveShakeOptions } from '../../src/models/shakeshake/shake_shake.js';
import { Generator } from '../../src/util/random.js';
import { createModel } from '../../src/registry/index.js';
import { tf } from '../../src/tf.js';
import { maxRelDiff } from '../helpers.js';
import { expectBuffersMatch, expectGradsMatch, FIXTURES, loadFixture, TOL } from './torch_fixtures.js';

const EVEN = resolveShakeOptions({ forward: 'even', backward: 'even' });

const nhwc = (x: tf.Tensor) => tf.transpose(x, [0, 2, 3, 1]);

// On cpu (tfjs's kernels with archai-ts's conv gradients) and on wasm (archai-ts's SIMD kernels for
// the convolutions, their gradients and BatchNorm): both must reproduce archai.
describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  describe('ShakeResNet against archai (ShakeResNet(14, 8, 10))', () => {
    it('loads archai weights, skipping its unused identity-block shortcuts', async () => {
      const f = await loadFixture('shake_resnet14_2x8d.safetensors');
      const model = new ShakeResNet({ depth: 14, wBase: 8, shake: EVEN });
      const unused: string[] = JSON.parse(f.metadata.unused_keys);
      expect(unused.length).toBeGreaterThan(0);
      const result = model.loadStateDict(f.state);
      expect(result.skippedKeys.sort()).toEqual(unused.sort());
      // Any other stray key is still an error.
      expect(() => model.loadStateDict({ ...f.state, 'layer1.0.branch3.1.weight': tf.zeros([1]) })).toThrow(
        /unexpected keys: layer1\.0\.branch3\.1\.weight/,
      );
    });

    it('gives the same eval logits, training logits, gradients and running stats', async () => {
      const f = await loadFixture('shake_resnet14_2x8d.safetensors');
      const model = new ShakeResNet({ depth: 14, wBase: 8, shake: EVEN });
      model.loadStateDict(f.state);
      const x = nhwc(f.t.input);
      expect(await maxRelDiff(model.forward(x), f.t.eval_logits)).toBeLessThan(TOL);

      const labels = tf.oneHot(f.t.labels as tf.Tensor1D, 10);
      let logits: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        logits = tf.keep(model.forward(x, { training: true, rng: new Generator(0) }));
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      });
      expect(await maxRelDiff(logits!, f.t.train_logits)).toBeLessThan(TOL);
      expect(await maxRelDiff(value, f.t.loss)).toBeLessThan(TOL);
      await expectGradsMatch(model, new ShakeResNet({ depth: 14, wBase: 8 }), grads, f.grads);
      await expectBuffersMatch(model, f.after);
    });

    it('writes a state dict archai would load: same keys (less the unused shortcuts), same values', async () => {
      const f = await loadFixture('shake_resnet14_2x8d.safetensors');
      const model = new ShakeResNet({ depth: 14, wBase: 8 });
      model.loadStateDict(f.state);
      const out = model.stateDict();
      const unused = new Set<string>(JSON.parse(f.metadata.unused_keys));
      // The fixture file holds its names sorted; the order itself is checked against state_dict_keys.json.
      expect(Object.keys(out).sort()).toEqual(
        Object.keys(f.state)
          .filter((k) => !unused.has(k))
          .sort(),
      );
      for (const [k, v] of Object.entries(out)) expect(await maxRelDiff(v, f.state[k]), k).toBe(0);
    });
  });

  describe.each(['shake_bottleneck_s2', 'shake_bottleneck_s1'])('ShakeBottleNeck against archai (%s)', (name) => {
    it('gives the same outputs, gradients and running stats (grouped convolution included)', async () => {
      const f = await loadFixture(`${name}.safetensors`);
      const [, inCh] = f.t.input.shape;
      const outCh = f.t.r.shape[1] as number;
      const stride = name.endsWith('s2') ? 2 : 1;
      const make = () =>
        new ShakeBottleNeck({ inChannels: inCh, midChannels: 16, outChannels: outCh, cardinality: 4, stride, shake: EVEN });
      const block = make();
      block.loadStateDict(f.state);
      const x = nhwc(f.t.input);
      const r = nhwc(f.t.r);
      const rng = new Generator(0);
      expect(await maxRelDiff(block.forward(x, { training: false, rng }), nhwc(f.t.eval_out))).toBeLessThan(TOL);

      let out: tf.Tensor | undefined;
      const loss = (xi: tf.Tensor) => {
        out = tf.keep(block.forward(xi, { training: true, rng }));
        return tf.sum(tf.mul(out, r)) as tf.Scalar;
      };
      const { value, grads } = tf.variableGrads(() => loss(x));
      expect(await maxRelDiff(out!, nhwc(f.t.train_out))).toBeLessThan(TOL);
      expect(await maxRelDiff(value, f.t.loss)).toBeLessThan(TOL);
      await expectGradsMatch(block, make(), grads, f.grads);
      await expectBuffersMatch(block, f.after);
      // The input gradient runs through the Shortcut (s2) or the identity (s1) and both branches.
      const dx = tf.grad(loss)(x);
      expect(await maxRelDiff(dx, nhwc(f.t.grad_input))).toBeLessThan(TOL);
    });
  });
});

// Keys, shapes and counts do not depend on the backend.
describe('registered models against archai state dicts', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });

  const reference = JSON.parse(readFileSync(new URL('state_dict_keys.json', FIXTURES), 'utf8')) as Record<
    string,
    { keys: Array<[string, number[]]>; trainable_params: number; unused_keys: string[] }
  >;
  it.each(Object.keys(reference))(
    "%s has archai's keys, shapes and trainable parameter count",
    (name) => {
      const ref = reference[name];
      const model = createModel(name, { numClasses: 10 });
      try {
        const sd = model.stateDict();
        const unused = new Set(ref.unused_keys);
        expect(Object.entries(sd).map(([k, v]) => [k, v.shape])).toEqual(ref.keys.filter(([k]) => !unused.has(k)));
        tf.dispose(sd);
        expect(model.numParameters()).toBe(ref.trainable_params);
      } finally {
        model.dispose();
      }
    },
    60_000,
  );
});
