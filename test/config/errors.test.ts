import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigText } from '../../src/config/index.js';
import { configErrorOf, useTmpConfigs } from './tmp_configs.js';

const parse = (text: string) => parseConfigText(text, 'exp.yaml');

describe('config errors', () => {
  const tmp = useTmpConfigs();

  it('names file, line, column, key path and the closest valid key for an unknown key', async () => {
    const e = await configErrorOf(() =>
      parse('model:\n  name: shake_resnet26_2x32d\ntrainer:\n  optimizer:\n    learning_rate: 0.1\n    nestrov: true\n'),
    );
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/^exp\.yaml:5:5: trainer\.optimizer\.learning_rate: unknown key 'learning_rate'; /);
    const typo = await configErrorOf(() => parse('model:\n  name: shake_resnet26_2x32d\ndata:\n  batch_sise: 3\n'));
    expect(typo.message).toBe("exp.yaml:4:3: data.batch_sise: unknown key 'batch_sise'; did you mean 'batch_size'?");
    expect(typo.position).toEqual({ source: 'exp.yaml', line: 4, col: 3 });
    expect(typo.keyPath).toBe('data.batch_sise');
  });

  it('points a type error at the value', async () => {
    const e = await configErrorOf(() => parse('model: {name: shake_resnet26_2x32d}\ntrainer:\n  epochs: "many"\n'));
    expect(e.message).toBe("exp.yaml:3:11: trainer.epochs: expected a number, got the string 'many'");
    const int = await configErrorOf(() => parse('model: {name: shake_resnet26_2x32d}\ntrainer:\n  epochs: 1.5\n'));
    expect(int.message).toBe('exp.yaml:3:11: trainer.epochs: expected an integer, got number 1.5');
  });

  it('suggests the closest choice for a bad enum value', async () => {
    const e = await configErrorOf(() => parse('model: {name: shake_resnet26_2x32d}\nbackend: wsam\n'));
    expect(e.message).toBe(
      "exp.yaml:2:10: backend: expected one of auto | tensorflow-gpu | webgpu | tensorflow | wasm | cpu, got the string 'wsam'; did you mean 'wasm'?",
    );
  });

  it('says how to fill in a missing model name', async () => {
    const e = await configErrorOf(() => parse('model: {num_classes: 10}\n'));
    expect(e.message).toMatch(/^exp\.yaml:1:8: model\.name: missing; name the network, e\.g\. name: shake_resnet26_2x32d/);
  });

  it("checks the model's options against its family, at the key that is wrong", async () => {
    const unknown = await configErrorOf(() => parse('model:\n  name: shake_resnet26_x32d\n'));
    expect(unknown.message).toMatch(
      /^exp\.yaml:2:9: model\.name: unknown model 'shake_resnet26_x32d'; did you mean 'shake_resnet26_2x32d'/,
    );
    const foreign = await configErrorOf(() => parse('model:\n  name: shake_resnet26_2x32d\n  dropRate: 0.3\n'));
    expect(foreign.message).toMatch(
      /^exp\.yaml:3:3: model\.dropRate: 'dropRate' is not an option of shake_resnet26_2x32d \(family shake_resnet\): it takes shake, variant/,
    );
    const nested = await configErrorOf(() => parse('model:\n  name: shake_resnet26_2x32d\n  shake: {forwrd: even}\n'));
    expect(nested.message).toBe("exp.yaml:3:11: model.shake.forwrd: unknown key 'forwrd'; did you mean 'forward'?");
    const value = await configErrorOf(() => parse('model:\n  name: shake_resnet26_2x32d\n  variant: papr\n'));
    expect(value.message).toMatch(
      /^exp\.yaml:3:12: model\.variant: expected one of archai \| paper, got the string 'papr'; did you mean 'paper'\?/,
    );
    const filled = parse('model: {name: shake_resnet26_2x32d, shake: {level: batch}}\n');
    expect(filled.model).toEqual({
      name: 'shake_resnet26_2x32d',
      num_classes: 10,
      shake: { forward: 'shake', backward: 'shake', level: 'batch' },
      variant: 'archai',
    });
  });

  it('counts the problems after the first', async () => {
    const e = await configErrorOf(() => parse('model: {name: shake_resnet26_2x32d}\nseed: -1\nbackend: nope\n'));
    expect(e.message).toContain('(1 more problem after this one)');
    expect(e.message).not.toContain('\n');
  });

  it('reports invalid YAML with its position', async () => {
    const e = await configErrorOf(() => parse('model:\n  name: shake_resnet26_2x32d\n  name: n\n'));
    expect(e.message).toMatch(/^exp\.yaml:3:3: invalid YAML: .*unique/);
    const syntax = await configErrorOf(() => parse('model: {name: shake_resnet26_2x32d\n'));
    expect(syntax.message).toMatch(/^exp\.yaml:\d+:\d+: invalid YAML: /);
    const top = await configErrorOf(() => parse('- a\n- b\n'));
    expect(top.message).toContain('expected a mapping of keys');
  });

  it('points at the base file that set a bad value', async () => {
    tmp.write('base.yaml', '# a base\ndata:\n  workers: -1\n');
    const e = await configErrorOf(() => loadConfig(tmp.write('top.yaml', 'extends: base.yaml\nmodel: {name: shake_resnet26_2x32d}\n')));
    expect(e.message).toMatch(/base\.yaml:3:12: data\.workers: must be >= 0, got -1$/);
  });

  it('points at the file that overrode a value, not the base it overrode', async () => {
    tmp.write('base.yaml', 'trainer: {optimizer: {type: sgd}}\n');
    const e = await configErrorOf(() =>
      loadConfig(tmp.write('top.yaml', 'extends: base.yaml\nmodel: {name: shake_resnet26_2x32d}\ntrainer:\n  optimizer: {type: sgdd}\n')),
    );
    expect(e.message).toMatch(/top\.yaml:4:21: trainer\.optimizer\.type: .*did you mean 'sgd'\?$/);
  });
});
