import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { configErrorOf, useTmpConfigs } from './tmp_configs.js';

describe('--set overrides', () => {
  const tmp = useTmpConfigs();
  const base = () =>
    tmp.write('exp.yaml', 'model: {name: shake_resnet26_2x32d, shake: {backward: even}}\ntrainer: {optimizer: {lr: 0.2}}\n');

  it('parses numbers, booleans, strings and lists as YAML', async () => {
    const { config } = await loadConfig(base(), [
      'trainer.optimizer.lr=0.1',
      'trainer.epochs=3',
      'data.augment.hflip=false',
      'trainer.optimizer.type=adamw',
      'model.name=shake_resnet8_2x8d',
      'trainer.schedule.milestones=[1, 2]',
      'trainer.optimizer.weight_decay=5e-4',
    ]);
    expect(config.trainer.optimizer).toMatchObject({ lr: 0.1, type: 'adamw', weight_decay: 0.0005 });
    expect(config.trainer.epochs).toBe(3);
    expect(config.data.augment.hflip).toBe(false);
    expect(config.model.name).toBe('shake_resnet8_2x8d');
    expect(config.trainer.schedule.milestones).toEqual([1, 2]);
  });

  it('merges a flow mapping into the mapping there', async () => {
    const { config } = await loadConfig(base(), ['model.shake={forward: even, level: batch}']);
    expect(config.model.shake).toEqual({ forward: 'even', backward: 'even', level: 'batch' });
  });

  it('applies after the extends chain, later flags winning', async () => {
    tmp.write('b.yaml', 'seed: 1\n');
    const top = tmp.write('t.yaml', 'extends: b.yaml\nmodel: {name: shake_resnet26_2x32d}\nseed: 2\n');
    expect((await loadConfig(top, ['seed=3', 'seed=4'])).config.seed).toBe(4);
  });

  it('resolves a relative data.root from --set against the working directory', async () => {
    const { config } = await loadConfig(base(), ['data.root=some/where']);
    expect(config.data.root).toBe(join(process.cwd(), 'some', 'where'));
  });

  it('names the closest key for an unknown path', async () => {
    const e = await configErrorOf(() => loadConfig(base(), ['trainer.optimzer.lr=0.1']));
    expect(e.message).toBe(
      "--set trainer.optimzer.lr=0.1: trainer.optimzer.lr: unknown key 'optimzer' in trainer; did you mean 'optimizer'?",
    );
    const top = await configErrorOf(() => loadConfig(base(), ['sed=1']));
    expect(top.message).toContain("unknown key 'sed' in the top level; did you mean 'seed'?");
  });

  it('rejects a path into a single value', async () => {
    const e = await configErrorOf(() => loadConfig(base(), ['trainer.epochs.max=3']));
    expect(e.message).toContain("trainer.epochs is a single value, it has no key 'max'");
  });

  it('rejects a flag without =', async () => {
    const e = await configErrorOf(() => loadConfig(base(), ['trainer.epochs']));
    expect(e.message).toContain('expected key.path=value');
  });

  it('blames the flag for a bad value', async () => {
    const e = await configErrorOf(() => loadConfig(base(), ['trainer.epochs=ten']));
    expect(e.message).toBe("--set trainer.epochs=ten: trainer.epochs: expected a number, got the string 'ten'");
    const nested = await configErrorOf(() => loadConfig(base(), ['model.shake={forwrd: even}']));
    expect(nested.message).toContain("model.shake.forwrd: unknown key 'forwrd'; did you mean 'forward'?");
    expect(nested.message.startsWith('--set model.shake=')).toBe(true);
  });
});
