import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { Generator } from '../../src/util/random.js';
import { createModel } from '../../src/registry/index.js';
import { tf } from '../../src/tf.js';
import { Optimizer } from '../../src/engine/optimizer.js';
import { ReplicaError, Replicas, resolveReplicaCount } from '../../src/parallel/replicas.js';
import { trainStep } from '../../src/engine/step.js';
import { maxRelDiff, randn } from '../helpers.js';

const NAME = 'shake_resnet8_2x4d';
const OPTS = { numClasses: 4, seed: 3 };
const sgd = { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 } as const;
let replicas: Replicas;

beforeAll(async () => {
  await setBackend('cpu');
  replicas = await Replicas.start({ model: NAME, modelOptions: OPTS, count: 2, backend: 'cpu' });
}, 60_000);

afterAll(async () => {
  await replicas?.close();
});

describe('Replicas', () => {
  /** Three steps on twin models, one with trainStep and one with replicas; compares everything. */
  async function compare(microBatch: number | undefined): Promise<void> {
    const x = randn([8, 16, 16, 3], 11) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 3, 3, 2, 1, 0], 'int32');
    const a = createModel(NAME, OPTS);
    const b = createModel(NAME, OPTS);
    const [oa, ob] = [new Optimizer(a.namedParameters(), sgd), new Optimizer(b.namedParameters(), sgd)];
    const [ra, rb] = [new Generator(7), new Generator(7)];
    const counts: number[] = [];
    const opts = { lr: 0.1, gradClip: 1, ...(microBatch ? { microBatch } : {}) };
    for (let step = 0; step < 3; step++) {
      counts.push(tf.memory().numTensors);
      const sa = trainStep(a, oa, x, y, { ...opts, rng: ra });
      const sb = await replicas.trainStep(b, ob, x, y, { ...opts, rng: rb });
      const [la, lb] = [(await sa.loss.data())[0]!, (await sb.loss.data())[0]!];
      expect(lb).toBeCloseTo(la, 5);
      expect((await sb.correct.data())[0]).toBe((await sa.correct.data())[0]);
      tf.dispose([sa.loss, sa.correct, sb.loss, sb.correct]);
    }
    expect(new Set(counts).size).toBe(1);
    // Both generators moved on alike: the next draws agree.
    expect(rb.nextUint32()).toBe(ra.nextUint32());
    const pa = a.stateDict({ layout: 'tfjs' });
    const pb = b.stateDict({ layout: 'tfjs' });
    for (const k of Object.keys(pa)) expect(await maxRelDiff(pb[k]!, pa[k]!), k).toBeLessThan(1e-5);
    tf.dispose([pa, pb, x, y]);
    oa.dispose();
    ob.dispose();
    a.dispose();
    b.dispose();
  }

  it('synchronised: is the unsplit step (BatchNorm over both shares, the same shake draws): loss, parameters, running statistics (1e-5), tensors flat', async () => {
    await compare(undefined);
  }, 60_000);

  it('shares larger than a micro-batch: is the sequential split step with the same micro-batches', async () => {
    await compare(2);
  }, 60_000);

  it('predicts the same logits as the model alone, over an odd batch too', async () => {
    const model = createModel(NAME, OPTS);
    for (const n of [5, 1]) {
      const x = randn([n, 16, 16, 3], n) as tf.Tensor4D;
      const expected = tf.tidy(() => model.forward(x, { training: false }));
      const before = tf.memory().numTensors;
      const got = await replicas.predict(model, x);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(await maxRelDiff(got, expected)).toBeLessThan(1e-5);
      tf.dispose([x, expected, got]);
    }
    model.dispose();
  }, 60_000);

  it('refuses a model other than the one the workers built, naming the difference', async () => {
    const x = randn([4, 16, 16, 3], 5) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 3], 'int32');
    // The seed only sets the initial weights, which every request sends: not a difference.
    const same = createModel(NAME, { ...OPTS, seed: 99 });
    const logits = await replicas.predict(same, x);
    for (const [other, diff] of [
      [
        createModel(NAME, { ...OPTS, variant: 'paper' }),
        /option variant "archai" vs option variant "paper"|option variant "paper" vs option variant "archai"/,
      ],
      [createModel(NAME, { ...OPTS, numClasses: 5 }), /numClasses 5 vs numClasses 4/],
      [createModel('shake_resnet8_2x8d', OPTS), /parameter .* vs parameter .*/],
    ] as const) {
      await expect(replicas.predict(other, x)).rejects.toThrow(
        new RegExp(`not the one they built from '${NAME}' \\((?:${diff.source})\\)`),
      );
      const opt = new Optimizer(other.namedParameters(), sgd);
      await expect(replicas.trainStep(other, opt, x, y, { lr: 0.1, rng: new Generator(1) })).rejects.toThrow(/not the one they built/);
      opt.dispose();
      other.dispose();
    }
    tf.dispose([x, y, logits]);
    same.dispose();
  }, 60_000);

  it('says which replica failed and how to go on', async () => {
    await expect(Replicas.start({ model: 'no_such_model', count: 2, backend: 'cpu' })).rejects.toThrow(
      /replica 1 failed.*trainer\.replicas: 1 \(or --replicas 1\)/,
    );
  }, 60_000);
});

describe('resolveReplicaCount', () => {
  it("is one per core under 'auto' on the CPU backends, 1 elsewhere; an explicit count needs a CPU backend", () => {
    expect(resolveReplicaCount('auto', 'wasm')).toBeGreaterThanOrEqual(1);
    expect(resolveReplicaCount('auto', 'webgpu')).toBe(1);
    expect(resolveReplicaCount(3, 'cpu')).toBe(3);
    expect(() => resolveReplicaCount(2, 'webgpu')).toThrow(ReplicaError);
    expect(() => resolveReplicaCount(0, 'cpu')).toThrow(/positive integer/);
  });
});
