import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchemaText, loadConfig } from '../../src/config/index.js';
import { defaultRegistry } from '../../src/registry/index.js';
import { loadSearchConfig, searchConfigJsonSchemaText } from '../../src/search/index.js';

const CONFIGS = resolve(dirname(fileURLToPath(import.meta.url)), '../../configs');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Base files hold a shared recipe and no model; they are checked through the files extending them. */
const isBase = (file: string) => /(^|[/\\])base_[^/\\]*$/.test(file);
/** Search configs name the search schema on their first line. */
const isSearch = (file: string) => readFileSync(file, 'utf8').split('\n')[0]!.endsWith('search.schema.json');

describe('shipped configs', () => {
  const files = yamlFiles(CONFIGS);

  it('configs/schema.json is what `archai-ts schema` generates (regenerate: archai-ts schema --out configs/schema.json)', () => {
    expect(readFileSync(join(CONFIGS, 'schema.json'), 'utf8')).toBe(configJsonSchemaText());
    expect(readFileSync(join(CONFIGS, 'search.schema.json'), 'utf8')).toBe(searchConfigJsonSchemaText());
  });

  it.each(files.map((f) => [relative(CONFIGS, f)]))('%s opens with the schema modeline pointing at configs/schema.json', (rel) => {
    const file = join(CONFIGS, rel);
    const first = readFileSync(file, 'utf8').split('\n')[0];
    const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(m, first).not.toBeNull();
    expect(resolve(dirname(file), m![1])).toBe(join(CONFIGS, isSearch(file) ? 'search.schema.json' : 'schema.json'));
  });

  it.each(files.filter((f) => isSearch(f)).map((f) => [relative(CONFIGS, f)]))('%s loads and validates as a search config', (rel) => {
    const config = loadSearchConfig(join(CONFIGS, rel));
    expect(config.space.points.length).toBeGreaterThan(1);
  });

  it.each(files.filter((f) => !isBase(f) && !isSearch(f)).map((f) => [relative(CONFIGS, f)]))(
    '%s loads, validates and names a buildable model',
    async (rel) => {
      const { config } = await loadConfig(join(CONFIGS, rel));
      expect(() => defaultRegistry.resolve(config.model.name)).not.toThrow();
    },
  );

  it("has the paper's CIFAR-10 recipe for every registered ShakeResNet", async () => {
    for (const name of defaultRegistry.listModels('shake_resnet*')) {
      const { config } = await loadConfig(join(CONFIGS, 'paper', `${name}_cifar10.yaml`));
      expect(config.model).toMatchObject({ name, variant: 'paper', shake: { forward: 'shake', backward: 'shake', level: 'image' } });
      expect(config.data).toMatchObject({ dataset: 'cifar10', batch_size: 128, augment: { crop_padding: 4, hflip: true, cutout: 0 } });
      expect(config.trainer.epochs).toBe(1800);
      expect(config.trainer.optimizer).toMatchObject({ type: 'sgd', lr: 0.2, momentum: 0.9, nesterov: true, weight_decay: 1e-4 });
      expect(config.trainer.schedule).toMatchObject({ type: 'cosine', interval: 'step', min_lr: 0, warmup_epochs: 0 });
      expect(config.data.root).toBe(resolve(CONFIGS, '..', 'data', 'cifar10'));
    }
  });

  it("has archai's b512 recipe, with its warmup and the 2x112d's doubled decay", async () => {
    for (const w of [32, 96, 112]) {
      const { config } = await loadConfig(join(CONFIGS, 'archai', `shakeshake26_2x${w}d_cifar10.yaml`));
      expect(defaultRegistry.resolve(config.model.name).name).toBe(defaultRegistry.resolve(`shakeshake26_2x${w}d`).name);
      expect(config.data).toMatchObject({ batch_size: 512, augment: { cutout: 16 } });
      expect(config.trainer.optimizer).toMatchObject({ lr: 0.01, nesterov: true, weight_decay: w === 112 ? 0.002 : 0.001 });
      expect(config.trainer.schedule).toMatchObject({ type: 'cosine', interval: 'epoch', warmup_epochs: 5, warmup_multiplier: 4 });
      expect(config.trainer.epochs).toBe(1800);
    }
  });

  it("has the paper's CIFAR-100 ResNeXt recipe", async () => {
    const { config } = await loadConfig(join(CONFIGS, 'paper', 'shake_resnext29_2x4x64d_cifar100.yaml'));
    expect(config.model).toMatchObject({ name: 'shake_resnext29_2x4x64d', num_classes: 100 });
    expect(config.data).toMatchObject({ dataset: 'cifar100', batch_size: 32 });
    expect(config.trainer.optimizer).toMatchObject({ lr: 0.025, weight_decay: 5e-4, momentum: 0.9, nesterov: true });
    expect(config.trainer).toMatchObject({ epochs: 1800, schedule: { type: 'cosine' } });
  });

  it('keeps the quickstart small: synthetic data, a few epochs', async () => {
    const { config } = await loadConfig(join(CONFIGS, 'quickstart.yaml'));
    expect(config.data.dataset).toBe('synthetic');
    expect(config.trainer.epochs).toBeLessThanOrEqual(5);
    expect(config.backend).toBe('auto');
  });
});
