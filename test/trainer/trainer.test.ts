import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText, type ExperimentConfig } from '../../src/config/index.js';
import { readCheckpoint } from '../../src/trainer/checkpoint.js';
import { evaluate } from '../../src/trainer/evaluate.js';
import { DETERMINISTIC_KEYS, type EpochMetrics } from '../../src/trainer/metrics.js';
import { train, TrainingDivergedError } from '../../src/trainer/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-trainer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tinyConfig(extra = ''): ExperimentConfig {
  return parseConfigText(
    `seed: 3
backend: wasm
model: {name: shake_resnet8_2x4d, num_classes: 4}
data:
  dataset: synthetic
  batch_size: 16
  workers: 1
  synthetic: {train_size: 48, test_size: 24}
  augment: {crop_padding: 2, hflip: true, cutout: 4}
trainer:
  epochs: 2
  optimizer: {type: sgd, lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.0005}
  schedule: {type: cosine}
  label_smoothing: 0.1
  grad_clip: 5
  log_every: 2
${extra}`,
    join(tmp, 'tiny.yaml'),
  );
}

const pick = (h: EpochMetrics[]) => h.map((m) => Object.fromEntries(DETERMINISTIC_KEYS.map((k) => [k, m[k]])));
const readJsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as EpochMetrics);

describe('train', () => {
  let straight: EpochMetrics[] = [];
  const straightDir = join(tmp, 'straight');

  it('runs a whole experiment and writes metrics, summary, config and checkpoints, leaking no tensors', async () => {
    const { tf } = await import('../../src/tf.js');
    let before = -1;
    const perStep: number[] = [];
    const r = await train(tinyConfig(), {
      outDir: straightDir,
      onStep: (s) => {
        if (s === 1) before = tf.memory().numTensors;
        perStep.push(tf.memory().numTensors);
      },
    });
    // Between reads a step leaves only its loss and accuracy scalars; nothing accumulates over the run.
    expect(Math.max(...perStep)).toBeLessThanOrEqual(before + 2 * 2);
    expect(perStep.at(-1)).toBeLessThanOrEqual(before + 2 * 2);
    straight = r.history;
    expect(r.interrupted).toBe(false);
    expect(r.history.map((m) => m.epoch)).toEqual([1, 2]);
    const logged = readJsonl(join(straightDir, 'metrics.jsonl'));
    expect(pick(logged)).toEqual(pick(r.history));
    for (const m of logged) {
      for (const k of ['epoch', 'lr', 'train_loss', 'train_top1', 'test_loss', 'test_top1', 'test_top5']) expect(m).toHaveProperty(k);
      expect(m.train_top1).toBeGreaterThanOrEqual(0);
      expect(m.test_top5!).toBeLessThanOrEqual(1);
    }
    expect(readFileSync(join(straightDir, 'summary.csv'), 'utf8').split('\n')[0]).toMatch(/^epoch,step,lr,train_loss/);
    expect(readFileSync(join(straightDir, 'curves.svg'), 'utf8')).toMatch(/^<svg[\s\S]*straight[\s\S]*<\/svg>\s*$/);
    expect(readFileSync(join(straightDir, 'config.yaml'), 'utf8')).toMatch(/shake_resnet8_2x4d/);
    const last = await readCheckpoint(join(straightDir, 'checkpoints', 'last.safetensors'));
    expect(last.state.epoch).toBe(2);
    expect(Object.keys(last.model)).toContain('layer1.0.branch1.1.weight');
  });

  it('resumes after an epoch to the same metrics, to the last digit', async () => {
    // Interrupt at the epoch boundary (onEpoch runs after epoch 1's checkpoint), then resume.
    const dir2 = join(tmp, 'resume-2');
    const controller = new AbortController();
    const r1 = await train(tinyConfig(), { outDir: dir2, signal: controller.signal, onEpoch: () => controller.abort() });
    expect(r1.interrupted).toBe(true);
    const r2 = await train(tinyConfig(), { resume: dir2 });
    expect(r2.interrupted).toBe(false);
    expect(pick(r2.history)).toEqual(pick(straight));
    expect(pick(readJsonl(join(dir2, 'metrics.jsonl')))).toEqual(pick(straight));
  });

  it('stops after stop_after_epochs with a checkpoint, and a resume with more continues to the same metrics', async () => {
    const dir = join(tmp, 'budget');
    const first = await train(tinyConfig('  stop_after_epochs: 1'), { outDir: dir });
    expect([first.interrupted, first.history.length]).toEqual([false, 1]);
    expect((await readCheckpoint(join(dir, 'checkpoints', 'last.safetensors'))).state.epoch).toBe(1);
    const rest = await train(tinyConfig(), { resume: dir });
    expect(pick(rest.history)).toEqual(pick(straight));
  });

  it('holds out a validation split, scores it every epoch and picks the best checkpoint by it; eval --split val reproduces it', async () => {
    const dir = join(tmp, 'val');
    const cfg = tinyConfig('  eval_every: 2');
    const r = await train({ ...cfg, data: { ...cfg.data, val_split: 0.25 }, trainer: { ...cfg.trainer, epochs: 3 } }, { outDir: dir });
    const h = r.history;
    expect(h.map((m) => m.val_top1 === null)).toEqual([false, false, false]);
    expect(h.map((m) => m.test_top1 === null)).toEqual([true, false, false]);
    const vals = h.map((m) => m.val_top1!);
    const bestEpoch = vals.indexOf(Math.max(...vals)) + 1;
    expect(r.best).toEqual({ epoch: bestEpoch, val_top1: vals[bestEpoch - 1], test_top1: h[bestEpoch - 1]!.test_top1 });
    const best = await readCheckpoint(join(dir, 'checkpoints', 'best.safetensors'));
    expect(best.state.epoch).toBe(bestEpoch);
    const e = await evaluate({ checkpoint: dir, split: 'val' });
    expect([e.n, e.top1, e.loss]).toEqual([12, h[2]!.val_top1, h[2]!.val_loss]);
    expect(readFileSync(join(dir, 'summary.csv'), 'utf8').split('\n')[0]).toContain('val_loss,val_top1,val_top5');
  });

  it('resumes from an interruption in the middle of an epoch to the same metrics', async () => {
    const dir = join(tmp, 'resume-mid');
    const controller = new AbortController();
    const r1 = await train(tinyConfig(), { outDir: dir, signal: controller.signal, onStep: (s) => s === 4 && controller.abort() });
    expect(r1.interrupted).toBe(true);
    const ck = await readCheckpoint(join(dir, 'checkpoints', 'last.safetensors'));
    expect([ck.state.epoch, ck.state.batch, ck.state.step]).toEqual([1, 1, 4]);
    const r2 = await train(tinyConfig(), { resume: dir });
    expect(pick(r2.history)).toEqual(pick(straight));
  });

  it('trains with 2 replicas as with 1 (synchronised BatchNorm), and resumes mid-epoch to the same metrics', async () => {
    const one = await train(tinyConfig('  replicas: 1'), { outDir: join(tmp, 'replicas-1') });
    const replicated = () => tinyConfig('  replicas: 2');
    const two = await train(replicated(), { outDir: join(tmp, 'replicas-2') });
    expect(two.history.map((m) => m.epoch)).toEqual([1, 2]);
    // The same steps up to float rounding (sums over the shares in another order).
    two.history.forEach((m, i) => {
      const r = one.history[i]!;
      expect(Math.abs(m.train_loss - r.train_loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(r.train_loss)));
      expect(Math.abs(m.test_loss! - r.test_loss!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(r.test_loss!)));
    });
    const dir = join(tmp, 'replicas-resume');
    const controller = new AbortController();
    await train(replicated(), { outDir: dir, signal: controller.signal, onStep: (s) => s === 4 && controller.abort() });
    expect((await readCheckpoint(join(dir, 'checkpoints', 'last.safetensors'))).state.replicas).toBe(2);
    const resumed = await train(replicated(), { resume: dir });
    expect(pick(resumed.history)).toEqual(pick(two.history));
  }, 120_000);

  it('eval of the run folder reproduces the logged test metrics', async () => {
    const r = await evaluate({ checkpoint: straightDir });
    const last = straight[straight.length - 1];
    expect([r.loss, r.top1, r.top5]).toEqual([last.test_loss, last.test_top1, last.test_top5]);
    expect(r.n).toBe(24);
  });

  it('stops on a NaN loss naming the step, and keeps the last good checkpoint', async () => {
    const dir = join(tmp, 'nan');
    const controller = new AbortController();
    await train(tinyConfig(), { outDir: dir, signal: controller.signal, onEpoch: () => controller.abort() });
    const cfg = tinyConfig();
    const bad = {
      ...cfg,
      trainer: { ...cfg.trainer, grad_clip: 0, label_smoothing: 0, optimizer: { ...cfg.trainer.optimizer, lr: 3e38 } },
    };
    const err = await train(bad, {
      resume: dir,
      allowConfigChange: ['trainer.optimizer.lr', 'trainer.grad_clip', 'trainer.label_smoothing'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect((err as Error).message).toMatch(
      /the loss became (NaN|Infinity|-Infinity) at step \d+ \(epoch 2, batch \d\).*last good checkpoint is .*step-00000003\.safetensors/,
    );
    const last = await readCheckpoint(join(dir, 'checkpoints', 'last.safetensors'));
    expect([last.state.epoch, last.state.step]).toEqual([1, 3]);
  });
});
