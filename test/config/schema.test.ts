import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText, type ExperimentConfig } from '../../src/config/index.js';
import { configErrorOf } from './tmp_configs.js';

describe('config defaults', () => {
  it('fills every default around a bare model name', () => {
    const config = parseConfigText('model: {name: shake_resnet26_2x32d}\n', '/exp/min.yaml');
    const expected: ExperimentConfig = {
      seed: 7,
      backend: 'auto',
      model: {
        name: 'shake_resnet26_2x32d',
        num_classes: 10,
        shake: { forward: 'shake', backward: 'shake', level: 'image' },
        variant: 'archai',
      },
      data: {
        dataset: 'cifar10',
        root: join(process.cwd(), 'data', 'cifar10'),
        download: false,
        batch_size: 128,
        eval_batch_size: 128,
        workers: 1,
        limit_train: 0,
        limit_test: 0,
        val_split: 0,
        augment: { crop_padding: 4, hflip: true, cutout: 0, normalize: true },
        synthetic: { train_size: 1024, test_size: 256, num_classes: 10 },
      },
      trainer: {
        epochs: 1800,
        optimizer: { type: 'sgd', lr: 0.2, momentum: 0.9, nesterov: true, weight_decay: 0.0001, betas: [0.9, 0.999], eps: 1e-8 },
        schedule: {
          type: 'cosine',
          interval: 'step',
          warmup_epochs: 0,
          warmup_multiplier: 1,
          min_lr: 0,
          step_size: 30,
          gamma: 0.1,
          milestones: [],
          end_lr: 0,
          max_lr: 0.2,
          pct_start: 0.3,
        },
        label_smoothing: 0,
        grad_clip: 0,
        micro_batch: 0,
        replicas: 'auto',
        checkpoint_every: 1,
        keep_checkpoints: 3,
        eval_every: 1,
        log_every: 50,
      },
    };
    expect(config).toEqual(expected);
  });

  it('keeps the keys in schema order, derived ones included', () => {
    const config = parseConfigText('model: {name: shake_resnet26_2x32d}\n', 'x.yaml');
    expect(Object.keys(config.data).slice(0, 5)).toEqual(['dataset', 'root', 'download', 'batch_size', 'eval_batch_size']);
  });

  it('derives eval_batch_size, max_lr and the synthetic classes from the keys they default to', () => {
    const config = parseConfigText(
      'model: {name: shake_resnet26_2x32d, num_classes: 4}\ndata: {dataset: synthetic, batch_size: 16}\ntrainer: {optimizer: {lr: 0.5}}\n',
      'x.yaml',
    );
    expect(config.data.eval_batch_size).toBe(16);
    expect(config.data.synthetic.num_classes).toBe(4);
    expect(config.trainer.schedule.max_lr).toBe(0.5);
  });

  it('resolves a default root under the working directory', () => {
    const config = parseConfigText('model: {name: shake_resnet26_2x32d, num_classes: 100}\ndata: {dataset: cifar100}\n', 'x.yaml');
    expect(config.data.root).toBe(join(process.cwd(), 'data', 'cifar100'));
  });

  it('checks the classes against the dataset', async () => {
    const e = await configErrorOf(() => parseConfigText('model: {name: shake_resnet26_2x32d}\ndata: {dataset: cifar100}\n', 'x.yaml'));
    expect(e.message).toContain('model.num_classes: cifar100 has 100 classes');
  });

  it('rejects a warmup as long as the run', async () => {
    const e = await configErrorOf(() =>
      parseConfigText('model: {name: shake_resnet26_2x32d}\ntrainer: {epochs: 5, schedule: {warmup_epochs: 5}}\n', 'x.yaml'),
    );
    expect(e.keyPath).toBe('trainer.schedule.warmup_epochs');
  });

  it('rejects a warmup multiplier below 1 (archai raises on it too)', async () => {
    const e = await configErrorOf(() =>
      parseConfigText('model: {name: shake_resnet26_2x32d}\ntrainer: {schedule: {warmup_multiplier: 0.5}}\n', 'x.yaml'),
    );
    expect(e.message).toContain('trainer.schedule.warmup_multiplier: must be >= 1, got 0.5');
  });

  it('needs milestones for multistep, in increasing order', async () => {
    const none = await configErrorOf(() =>
      parseConfigText('model: {name: shake_resnet26_2x32d}\ntrainer: {schedule: {type: multistep}}\n', 'x.yaml'),
    );
    expect(none.message).toContain('needs milestones');
    const unsorted = await configErrorOf(() =>
      parseConfigText('model: {name: shake_resnet26_2x32d}\ntrainer: {schedule: {type: multistep, milestones: [9, 3]}}\n', 'x.yaml'),
    );
    expect(unsorted.message).toContain('must increase');
  });

  it('parses YAML 1.2 exponents as numbers (PyYAML would not)', () => {
    expect(
      parseConfigText('model: {name: shake_resnet26_2x32d}\ntrainer: {optimizer: {weight_decay: 5e-4}}\n', 'x.yaml').trainer.optimizer
        .weight_decay,
    ).toBe(0.0005);
  });
});
