/** A family's random draws under data-parallel replicas: 2 threads must take the single-thread step. */
import { expect } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { Optimizer } from '../../src/engine/optimizer.js';
import { trainStep } from '../../src/engine/step.js';
import { Replicas } from '../../src/parallel/replicas.js';
import { createModel } from '../../src/registry/index.js';
import { tf } from '../../src/tf.js';
import { Generator } from '../../src/util/random.js';
import { maxRelDiff } from '../helpers.js';

/**
 * `steps` SGD steps of `model` on one thread and through 2 replicas on cpu, from the same weights
 * and generator: equal losses (5 digits), generator states and parameters (1e-5).
 */
export async function expectReplicasMatchSingleThread(
  model: string,
  options: Record<string, unknown>,
  step: { steps: number; lr: number; weightDecay: number },
): Promise<void> {
  await setBackend('cpu');
  const replicas = await Replicas.start({ model, modelOptions: options, count: 2, backend: 'cpu' });
  const a = createModel(model, options);
  const b = createModel(model, options);
  const sgd = { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: step.weightDecay } as const;
  const [oa, ob] = [new Optimizer(a.namedParameters(), sgd), new Optimizer(b.namedParameters(), sgd)];
  const [ra, rb] = [new Generator(7), new Generator(7)];
  const x = tf.randomNormal([8, 16, 16, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 2, 3, 3, 2, 1, 0], 'int32');
  try {
    for (let i = 0; i < step.steps; i++) {
      const sa = trainStep(a, oa, x, y, { lr: step.lr, rng: ra });
      const sb = await replicas.trainStep(b, ob, x, y, { lr: step.lr, rng: rb });
      expect((await sb.loss.data())[0]).toBeCloseTo((await sa.loss.data())[0]!, 5);
      tf.dispose([sa.loss, sa.correct, sb.loss, sb.correct]);
    }
    expect(rb.getState()).toEqual(ra.getState());
    const [pa, pb] = [a.stateDict({ layout: 'tfjs' }), b.stateDict({ layout: 'tfjs' })];
    for (const k of Object.keys(pa)) expect(await maxRelDiff(pb[k]!, pa[k]!), k).toBeLessThan(1e-5);
    tf.dispose([pa, pb]);
  } finally {
    await replicas.close();
    tf.dispose([x, y]);
    for (const m of [a, b]) m.dispose();
  }
}
