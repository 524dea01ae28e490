import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { Optimizer, type OptimizerOptions } from '../../src/engine/optimizer.js';
import { tf } from '../../src/tf.js';

beforeAll(async () => {
  await setBackend('cpu');
});

/** Made by scripts/make_optimizer_fixtures.py with Debian's PyTorch 1.13. */
const torchRef = JSON.parse(readFileSync(new URL('../fixtures/torch/optimizers.json', import.meta.url), 'utf8')) as {
  p0: number[];
  grads: number[][];
  lrs: number[];
  cases: Record<string, { steps: number[][] }>;
};

const options: Record<string, OptimizerOptions> = {
  sgd_nesterov_wd: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-2 },
  sgd_momentum: { type: 'sgd', momentum: 0.9 },
  sgd_plain_wd: { type: 'sgd', weightDecay: 1e-2 },
  adam_wd: { type: 'adam', weightDecay: 1e-2 },
  adamw: { type: 'adamw', weightDecay: 1e-2 },
};

async function run(opts: OptimizerOptions): Promise<number[][]> {
  const p = tf.variable(tf.tensor1d(torchRef.p0));
  const opt = new Optimizer(new Map([['w', p]]), opts);
  const out: number[][] = [];
  for (let i = 0; i < torchRef.grads.length; i++) {
    const g = tf.tensor1d(torchRef.grads[i]);
    opt.apply(new Map([['w', g]]), torchRef.lrs[i]);
    g.dispose();
    out.push(Array.from(await p.data()));
  }
  opt.dispose();
  p.dispose();
  return out;
}

describe('Optimizer', () => {
  it('takes an SGD Nesterov step with weight decay as the formula says', async () => {
    const [w, g, lr, mu, wd] = [2, 0.5, 0.1, 0.9, 0.01];
    const p = tf.variable(tf.scalar(w));
    const opt = new Optimizer(new Map([['w', p]]), { type: 'sgd', momentum: mu, nesterov: true, weightDecay: wd });
    opt.apply(new Map([['w', tf.scalar(g)]]), lr);
    // d = g + wd·w; buf = d; update = d + mu·buf
    const d = g + wd * w;
    expect((await p.data())[0]).toBeCloseTo(w - lr * (d + mu * d), 6);
    const w1 = w - lr * (d + mu * d);
    opt.apply(new Map([['w', tf.scalar(g)]]), lr);
    const d2 = g + wd * w1;
    const buf2 = mu * d + d2;
    expect((await p.data())[0]).toBeCloseTo(w1 - lr * (d2 + mu * buf2), 6);
  });

  it.each(Object.keys(options))('matches PyTorch step by step: %s', async (name) => {
    const ours = await run(options[name]);
    const ref = torchRef.cases[name].steps;
    for (let s = 0; s < ref.length; s++) {
      for (let i = 0; i < ref[s].length; i++) expect(ours[s][i]).toBeCloseTo(ref[s][i], 6);
    }
  });

  it('saves and restores its slots exactly', async () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const opt = new Optimizer(new Map([['w', p]]), { type: 'adam' });
    opt.apply(new Map([['w', tf.tensor1d([0.5, -0.5])]]), 0.1);
    const state = opt.stateDict();
    expect(Object.keys(state).sort()).toEqual(['w.exp_avg', 'w.exp_avg_sq']);
    const q = tf.variable(p.clone());
    const opt2 = new Optimizer(new Map([['w', q]]), { type: 'adam' });
    opt2.loadStateDict(state, opt.step);
    opt.apply(new Map([['w', tf.tensor1d([0.1, 0.2])]]), 0.1);
    opt2.apply(new Map([['w', tf.tensor1d([0.1, 0.2])]]), 0.1);
    expect(Array.from(await q.data())).toEqual(Array.from(await p.data()));
    expect(() => opt2.loadStateDict({}, 1)).toThrow(/optimizer state lacks w\.exp_avg/);
  });
});
