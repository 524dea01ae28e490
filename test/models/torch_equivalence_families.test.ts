/**
 * WideResNet and PyramidNet against archai's PyTorch modules, from fixtures made by
 * scripts/make_torch_fixtures.py (see test/fixtures/torch/README.md): the same weights give the same
 * eval logits, training logits (ShakeDrop gates kept open), loss, parameter gradients and BN running
 * statistics, within 1e-4 relative, on cpu and wasm. The fixtures carry no weights: both sides make
 * them with lcgState's rule.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { withoutInitialValues } from '../../src/nn/init.js';
import type { HostTensorLike, Module } from '../../src/nn/module.js';
import { createModel } from '../../src/registry/index.js';
import { tf } from '../../src/tf.js';
import { Generator } from '../../src/util/random.js';
import { lcgValues, maxRelDiff, sizeOf } from '../helpers.js';
import { expectBuffersMatch, expectGradsMatch, FIXTURES, loadFixture, TOL } from './torch_fixtures.js';

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/**
 * The fixtures' weights (the script's lcg_entry): u = lcgValues(size, fnv1a(key)), then BN weight and
 * running_var 1 + u/2, BN bias and running_mean u/5, conv and linear weights u/sqrt(fan_in), their
 * biases u/10, counters 0; each value computed in float64 and rounded once to float32, as numpy does.
 */
function lcgState(model: Module): Record<string, HostTensorLike> {
  const sd = model.stateDict();
  const shapes = Object.entries(sd).map(([k, v]) => [k, v.shape] as const);
  tf.dispose(sd);
  const keys = new Set(shapes.map(([k]) => k));
  const out: Record<string, HostTensorLike> = {};
  for (const [key, shape] of shapes) {
    const owner = key.slice(0, key.lastIndexOf('.'));
    const leaf = key.slice(key.lastIndexOf('.') + 1);
    if (leaf === 'num_batches_tracked') {
      out[key] = { dtype: 'int32', shape: [...shape], data: new Int32Array(sizeOf(shape)) };
      continue;
    }
    const isBn = keys.has(`${owner}.running_mean`);
    const f =
      leaf === 'running_var' || (isBn && leaf === 'weight')
        ? (u: number) => 1 + u / 2
        : leaf === 'running_mean' || (isBn && leaf === 'bias')
          ? (u: number) => u / 5
          : leaf === 'weight'
            ? (
                (s: number) => (u: number) =>
                  u / s
              )(Math.sqrt(sizeOf(shape.slice(1))))
            : (u: number) => u / 10;
    out[key] = { dtype: 'float32', shape: [...shape], data: lcgValues(sizeOf(shape), fnv1a(key)).map(f) };
  }
  return out;
}

const CASES = [
  { file: 'wide_resnet10_1.safetensors', name: 'wide_resnet10_1', numClasses: 10, options: {} },
  { file: 'pyramidnet14_a10.safetensors', name: 'pyramidnet14_a10', numClasses: 10, options: { shakeDrop: { gate: 'keep' } } },
  {
    file: 'pyramidnet11_a9_bottleneck_c100.safetensors',
    name: 'pyramidnet11_a9_bottleneck',
    numClasses: 100,
    options: { shakeDrop: { gate: 'keep' } },
  },
];

describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  it.each(CASES)(
    '$name gives archai’s eval logits, training logits, gradients and running stats',
    async ({ file, name, numClasses, options }) => {
      const f = await loadFixture(file);
      expect(f.metadata.model).toBe(name);
      const make = () => createModel(name, { numClasses, ...options });
      const model = make();
      const twin = make();
      try {
        const state = lcgState(model);
        model.loadStateDict(state);
        const [n, , h, w] = [4, 3, 32, 32];
        const x = tf.tidy(() => tf.transpose(tf.tensor(lcgValues(n * 3 * h * w, fnv1a('input')), [n, 3, h, w]), [0, 2, 3, 1]));
        expect(await maxRelDiff(model.forward(x), f.t.eval_logits)).toBeLessThan(TOL);

        const labels = tf.oneHot(f.t.labels as tf.Tensor1D, numClasses);
        let logits: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          logits = tf.keep(model.forward(x, { training: true, rng: new Generator(0) }));
          return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
        });
        expect(await maxRelDiff(logits!, f.t.train_logits)).toBeLessThan(TOL);
        expect(await maxRelDiff(value, f.t.loss)).toBeLessThan(TOL);
        await expectGradsMatch(model, twin, grads, f.grads);
        expect(Object.keys(f.after).sort()).toEqual([...model.namedBuffers().keys()].sort());
        await expectBuffersMatch(model, f.after);
        tf.dispose([x, labels, logits!, value, grads]);
      } finally {
        model.dispose();
        twin.dispose();
      }
    },
    60_000,
  );
});

describe("registered names against archai's state dicts", () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });

  type Entry = { num_classes: number; trainable_params: number; num_keys: number; keys_sha256: string; keys?: Array<[string, number[]]> };
  const reference = JSON.parse(readFileSync(new URL('family_state_dict_keys.json', FIXTURES), 'utf8')) as Record<string, Entry>;

  it.each(Object.keys(reference))("%s has archai's keys in archai's order, its shapes and its trainable parameter count", (name) => {
    const ref = reference[name]!;
    const model = withoutInitialValues(() => createModel(name, { numClasses: ref.num_classes }));
    try {
      const sd = model.stateDict();
      const keys = Object.entries(sd).map(([k, v]): [string, number[]] => [k, v.shape]);
      tf.dispose(sd);
      if (ref.keys) expect(keys).toEqual(ref.keys);
      expect(keys.length).toBe(ref.num_keys);
      const lines = keys.map(([k, s]) => `${k} ${s.join(',')}\n`).join('');
      expect(createHash('sha256').update(lines).digest('hex')).toBe(ref.keys_sha256);
      expect(model.numParameters()).toBe(ref.trainable_params);
    } finally {
      model.dispose();
    }
  });
});
