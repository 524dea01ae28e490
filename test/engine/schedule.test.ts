import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { learningRate, type ScheduleConfig } from '../../src/engine/schedule.js';

function schedule(over: Partial<ScheduleConfig>): ScheduleConfig {
  const base = parseConfigText('model: {name: shake_resnet8_2x8d}\n', '/tmp/x.yaml').trainer.schedule;
  return { ...base, ...over };
}

const ctx = (s: Partial<ScheduleConfig>, epochs = 10, stepsPerEpoch = 4, lr = 0.2) => ({
  schedule: schedule(s),
  lr,
  epochs,
  stepsPerEpoch,
});

describe('learning-rate schedules', () => {
  it('cosine per step goes from lr to min_lr along half a cosine', () => {
    const c = ctx({ type: 'cosine', min_lr: 0.01 });
    expect(learningRate(0, c)).toBeCloseTo(0.2, 12);
    expect(learningRate(20, c)).toBeCloseTo(0.01 + 0.19 * 0.5, 12);
    expect(learningRate(10, c)).toBeCloseTo(0.01 + (0.19 * (1 + Math.cos(Math.PI / 4))) / 2, 12);
    expect(learningRate(39, c)).toBeCloseTo(0.01 + (0.19 * (1 + Math.cos((Math.PI * 39) / 40))) / 2, 12);
  });

  it('per-epoch interval holds the rate through an epoch', () => {
    const c = ctx({ type: 'cosine', interval: 'epoch' });
    expect(learningRate(4, c)).toBe(learningRate(7, c));
    expect(learningRate(4, c)).toBeCloseTo((0.2 * (1 + Math.cos(Math.PI / 10))) / 2, 12);
  });

  it("archai's gradual warmup rises from lr to lr·m, then the main schedule starts from lr·m", () => {
    const c = ctx({ type: 'cosine', interval: 'epoch', warmup_epochs: 5, warmup_multiplier: 4 }, 15, 2, 0.01);
    expect(learningRate(0, c)).toBeCloseTo(0.01, 12);
    expect(learningRate(2 * 2, c)).toBeCloseTo(0.01 * (1 + (3 * 2) / 5), 12);
    expect(learningRate(5 * 2, c)).toBeCloseTo(0.04, 12);
    expect(learningRate(10 * 2, c)).toBeCloseTo((0.04 * (1 + Math.cos(Math.PI / 2))) / 2, 12);
  });

  it('plain warmup rises linearly from 0 and its first step already moves', () => {
    const c = ctx({ type: 'constant', warmup_epochs: 2 }, 10, 4);
    expect(learningRate(0, c)).toBeCloseTo(0.2 / 8, 12);
    expect(learningRate(7, c)).toBeCloseTo(0.2, 12);
    expect(learningRate(8, c)).toBe(0.2);
  });

  it('step, multistep and linear follow their closed forms', () => {
    expect(learningRate(4 * 7, ctx({ type: 'step', step_size: 3, gamma: 0.5 }))).toBeCloseTo(0.2 * 0.25, 12);
    const ms = ctx({ type: 'multistep', milestones: [2, 5], gamma: 0.1 });
    expect(learningRate(4 * 1, ms)).toBeCloseTo(0.2, 12);
    expect(learningRate(4 * 2, ms)).toBeCloseTo(0.02, 12);
    expect(learningRate(4 * 6, ms)).toBeCloseTo(0.002, 12);
    const lin = ctx({ type: 'linear', end_lr: 0.1 });
    expect(learningRate(20, lin)).toBeCloseTo(0.15, 12);
  });

  it('one-cycle starts at max_lr/25, peaks at pct_start, ends near max_lr/25e4', () => {
    const c = ctx({ type: 'onecycle', max_lr: 1, pct_start: 0.25 }, 10, 10);
    expect(learningRate(0, c)).toBeCloseTo(0.04, 12);
    expect(learningRate(25, c)).toBeCloseTo(1, 12);
    expect(learningRate(100, c)).toBeCloseTo(0.04 / 1e4, 12);
  });
});
