import { describe, expect, it } from 'vitest';
import { dumpConfig, parseConfigText } from '../../src/config/index.js';

describe('dumpConfig', () => {
  it('round-trips through parseConfigText', () => {
    const config = parseConfigText(
      'model: {name: shake_resnet26_2x32d, shake: {level: batch}}\n' +
        'data: {root: /data/c10, augment: {cutout: 16}}\n' +
        'trainer: {optimizer: {type: adamw, lr: 0.003, betas: [0.8, 0.99]}, schedule: {type: multistep, milestones: [5, 9], warmup_epochs: 2, warmup_multiplier: 4}}\n',
      '/runs/a/source.yaml',
    );
    const text = dumpConfig(config);
    expect(parseConfigText(text, '/runs/a/config.yaml')).toEqual(config);
  });

  it('spells out every default, lists on one line', () => {
    const text = dumpConfig(parseConfigText('model: {name: shake_resnet26_2x32d}\n', 'x.yaml'));
    expect(text).toContain('warmup_multiplier: 1\n');
    expect(text).toContain('betas: [0.9, 0.999]\n');
    expect(text).toContain('eval_batch_size: 128\n');
    expect(text.startsWith('seed: 7\n')).toBe(true);
  });
});
