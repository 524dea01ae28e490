import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { configErrorOf, useTmpConfigs } from './tmp_configs.js';

describe('extends', () => {
  const tmp = useTmpConfigs();

  it('merges a chain of bases, nearer files winning', async () => {
    tmp.write('a.yaml', 'seed: 1\ntrainer: {epochs: 10, optimizer: {lr: 0.1, momentum: 0.5}}\n');
    tmp.write('b.yaml', 'extends: a.yaml\nseed: 2\ntrainer: {optimizer: {lr: 0.3}}\n');
    const top = tmp.write('c.yaml', 'extends: b.yaml\nmodel: {name: shake_resnet26_2x32d}\ntrainer: {epochs: 20}\n');
    const { config, name, path, files } = await loadConfig(top);
    expect(config.seed).toBe(2);
    expect(config.trainer.epochs).toBe(20);
    expect(config.trainer.optimizer).toMatchObject({ lr: 0.3, momentum: 0.5 });
    expect(name).toBe('c');
    expect(path).toBe(top);
    expect(files).toEqual(['a.yaml', 'b.yaml', 'c.yaml'].map((f) => join(tmp.dir(), f)));
  });

  it('applies a list in order, the later base winning', async () => {
    tmp.write('x.yaml', 'seed: 1\ndata: {batch_size: 8, workers: 2}\n');
    tmp.write('y.yaml', 'seed: 2\ndata: {batch_size: 16}\n');
    const { config } = await loadConfig(tmp.write('top.yaml', 'extends: [x.yaml, y.yaml]\nmodel: {name: shake_resnet26_2x32d}\n'));
    expect(config.seed).toBe(2);
    expect(config.data).toMatchObject({ batch_size: 16, workers: 2 });
  });

  it("accepts archai's __include__, after extends", async () => {
    tmp.write('e.yaml', 'seed: 1\nbackend: cpu\n');
    tmp.write('i.yaml', 'seed: 2\n');
    const { config } = await loadConfig(
      tmp.write('top.yaml', '__include__: i.yaml\nextends: e.yaml\nmodel: {name: shake_resnet26_2x32d}\n'),
    );
    expect(config.seed).toBe(2);
    expect(config.backend).toBe('cpu');
  });

  it('resolves nested includes against the including file', async () => {
    tmp.write('shared/base/root.yaml', 'seed: 3\n');
    tmp.write('shared/mid.yaml', 'extends: base/root.yaml\nbackend: wasm\n');
    const { config } = await loadConfig(
      tmp.write('exp/deep/top.yaml', 'extends: ../../shared/mid.yaml\nmodel: {name: shake_resnet26_2x32d}\n'),
    );
    expect(config).toMatchObject({ seed: 3, backend: 'wasm' });
  });

  it('includes the same base twice without calling it a cycle', async () => {
    tmp.write('common.yaml', 'seed: 5\n');
    tmp.write('l.yaml', 'extends: common.yaml\n');
    tmp.write('r.yaml', 'extends: common.yaml\n');
    const { config } = await loadConfig(tmp.write('top.yaml', 'extends: [l.yaml, r.yaml]\nmodel: {name: shake_resnet26_2x32d}\n'));
    expect(config.seed).toBe(5);
  });

  it('reports a cycle with its chain and where it closes', async () => {
    tmp.write('p.yaml', 'extends: q.yaml\n');
    tmp.write('q.yaml', 'seed: 1\nextends: [p.yaml]\n');
    const e = await configErrorOf(() => loadConfig(tmp.write('top.yaml', 'extends: p.yaml\nmodel: {name: shake_resnet26_2x32d}\n')));
    expect(e.message).toMatch(/q\.yaml:2:11: extends: circular extends: p\.yaml -> q\.yaml -> p\.yaml/);
  });

  it('reports a file that extends itself', async () => {
    const e = await configErrorOf(() => loadConfig(tmp.write('self.yaml', 'extends: self.yaml\n')));
    expect(e.message).toContain('circular extends: self.yaml -> self.yaml');
  });

  it('reports a missing base at the line naming it', async () => {
    const e = await configErrorOf(() =>
      loadConfig(tmp.write('top.yaml', 'model: {name: shake_resnet26_2x32d}\nextends:\n  - nope.yaml\n')),
    );
    expect(e.message).toMatch(/top\.yaml:3:5: extends: cannot read '.*nope\.yaml': no such file/);
  });

  it('reports a missing config file', async () => {
    const e = await configErrorOf(() => loadConfig(join(tmp.dir(), 'absent.yaml')));
    expect(e.message).toMatch(/absent\.yaml: cannot read the config: no such file/);
  });
});

describe('deep merge', () => {
  const tmp = useTmpConfigs();

  it('merges mappings key by key and replaces lists and scalars whole', async () => {
    tmp.write(
      'base.yaml',
      'model: {name: shake_resnet26_2x32d, shake: {forward: even, backward: even}}\n' +
        'trainer: {optimizer: {betas: [0.5, 0.6]}, schedule: {type: multistep, milestones: [10, 20, 30]}}\n',
    );
    const top = tmp.write(
      'top.yaml',
      'extends: base.yaml\nmodel: {name: shake_resnet26_2x64d, shake: {backward: shake}}\ntrainer: {schedule: {milestones: [40]}}\n',
    );
    const { config } = await loadConfig(top);
    expect(config.model.name).toBe('shake_resnet26_2x64d');
    expect(config.model.shake).toEqual({ forward: 'even', backward: 'shake', level: 'image' });
    expect(config.trainer.schedule.milestones).toEqual([40]);
    expect(config.trainer.schedule.type).toBe('multistep');
    expect(config.trainer.optimizer.betas).toEqual([0.5, 0.6]);
  });

  it('anchors a relative data.root to the folder of the file that set it, not the working directory', async () => {
    tmp.write('conf/base/data.yaml', 'data: {root: ../../datasets/c10}\n');
    const top = tmp.write('conf/exp/top.yaml', 'extends: ../base/data.yaml\nmodel: {name: shake_resnet26_2x32d}\n');
    expect((await loadConfig(top)).config.data.root).toBe(join(tmp.dir(), 'datasets', 'c10'));
    const own = tmp.write('conf/exp/own.yaml', 'extends: ../base/data.yaml\nmodel: {name: shake_resnet26_2x32d}\ndata: {root: here}\n');
    expect((await loadConfig(own)).config.data.root).toBe(join(tmp.dir(), 'conf', 'exp', 'here'));
  });

  it('keeps an absolute data.root', async () => {
    const abs = join(tmp.dir(), 'elsewhere');
    const { config } = await loadConfig(
      tmp.write('a/top.yaml', `model: {name: shake_resnet26_2x32d}\ndata: {root: ${JSON.stringify(abs)}}\n`),
    );
    expect(config.data.root).toBe(abs);
  });
});
