/**
 * Searches end to end on the synthetic data (real training, tiny models): the frontier, the
 * constraint, budgets continued by resume, the result files, an interrupted search resumed, and
 * every kind of bad input refused before anything trains.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { loadSearchConfig, type SearchResult, search } from '../../src/search/index.js';
import { dominates } from '../../src/search/pareto.js';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-search-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const experiment = `backend: wasm
model: {num_classes: 4}
data: {dataset: synthetic, batch_size: 8, val_split: 0.25, synthetic: {train_size: 32, test_size: 8}}
trainer: {log_every: 50, optimizer: {lr: 0.05}, replicas: 1}
`;
writeFileSync(join(tmp, 'experiment.yaml'), experiment);

function write(name: string, searchYaml: string): string {
  const file = join(tmp, name);
  writeFileSync(file, `extends: experiment.yaml\nsearch:\n${searchYaml}`);
  return file;
}

const halving = write(
  'halving.yaml',
  `  seed: 1
  space:
    - { family: shake_resnet, depth: [8, 14], width: [4, 8] }
    - { family: wide_resnet, depth: 10, k: [1, 2] }
  objectives:
    - { name: val_top1, budgets: [1, 2] }
    - { name: params, max: 100000 }
  algorithm: { type: successive_halving, trials: 4, eta: 2 }
`,
);

const deterministic = (csv: string) =>
  csv
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, -1).join(','));

describe('search', () => {
  let straight: SearchResult;

  it('halves over two families: a non-dominated frontier, the constraint untrained, budgets continued by resume, result files', async () => {
    const config = loadSearchConfig(halving);
    straight = await search(config, { outDir: join(tmp, 'straight') });
    const dir = straight.dir;
    expect(straight.interrupted).toBe(false);
    // wide_resnet10_2 has 307,620 parameters, over the bound: measured, never trained.
    expect(existsSync(join(dir, 'trials', 'wide_resnet10_2'))).toBe(false);
    expect(straight.rows.some((r) => r.name === 'wide_resnet10_2')).toBe(false);
    const first = straight.rows.filter((r) => r.budget === 1);
    const second = straight.rows.filter((r) => r.budget === 2);
    expect(first).toHaveLength(4);
    expect(second).toHaveLength(2);
    expect(new Set(first.map((r) => r.family))).toEqual(new Set(['shake_resnet', 'wide_resnet']));
    // Each trial trained exactly as many epochs as its highest budget: 4 x 1 + 2 x 1 more.
    const epochs = readdirSync(join(dir, 'trials')).map(
      (t) =>
        readFileSync(join(dir, 'trials', t, 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n').length,
    );
    expect(epochs.reduce((a, b) => a + b, 0)).toBe(4 + 2);
    const goals = straight.objectives.map((o) => o.goal);
    const vals = (r: (typeof second)[number]) => straight.objectives.map((o) => r.values[o.name]!);
    for (const f of straight.frontier) for (const r of second) expect(dominates(vals(r), vals(f), goals)).toBe(false);
    for (const r of second.filter((x) => !x.is_pareto))
      expect(straight.frontier.some((f) => dominates(vals(f), vals(r), goals))).toBe(true);
    expect(readFileSync(join(dir, 'trials.csv'), 'utf8').split('\n')[0]).toBe(
      'name,family,choices,budget,val_top1,params,is_pareto,seconds',
    );
    expect(readFileSync(join(dir, 'pareto.csv'), 'utf8').trim().split('\n')).toHaveLength(straight.frontier.length + 1);
    for (const f of ['pareto.svg', 'curves.svg']) expect(readFileSync(join(dir, f), 'utf8')).toMatch(/^<svg/);
    const recipe = await loadConfig(join(dir, 'pareto', `${straight.frontier[0]!.name}.yaml`));
    expect(recipe.config.model.name).toBe(straight.frontier[0]!.name);
    expect(recipe.config.trainer.stop_after_epochs).toBeUndefined();
  }, 120_000);

  it('resumes a stopped search to the same trials.csv, re-running no finished trial', async () => {
    const config = loadSearchConfig(halving);
    const controller = new AbortController();
    let seen = 0;
    const dir = join(tmp, 'stopped');
    const stopped = await search(config, { outDir: dir, signal: controller.signal, onTrial: () => ++seen === 3 && controller.abort() });
    expect(stopped.interrupted).toBe(true);
    const trained = readdirSync(join(dir, 'trials'));
    let retrained = 0;
    const resumed = await search(config, {
      outDir: dir,
      resume: true,
      onTrial: (r) => trained.includes(r.name) && r.budget === 1 && retrained++,
    });
    expect(resumed.interrupted).toBe(false);
    expect(retrained).toBe(0);
    expect(deterministic(readFileSync(join(dir, 'trials.csv'), 'utf8'))).toEqual(
      deterministic(readFileSync(join(straight.dir, 'trials.csv'), 'utf8')),
    );
    await expect(search(config, { outDir: dir })).rejects.toThrow(/already holds a search; continue it with 'archai-ts search --resume/);
  }, 120_000);

  it('runs grid, random and evolution on cheap objectives alone without training', async () => {
    for (const type of ['grid', 'random', 'evolution']) {
      const file = write(
        `cheap-${type}.yaml`,
        `  space:
    - { family: shake_resnet, depth: [8, 14, 20], width: [4, 8, 16] }
    - { family: pyramidnet, depth: [8, 14], alpha: [12, 24], bottleneck: false }
  objectives:
    - { name: params }
    - { name: macs }
  algorithm: { type: ${type}, trials: 4, generations: 2 }
`,
      );
      const r = await search(loadSearchConfig(file), { outDir: join(tmp, `cheap-${type}`) });
      expect(existsSync(join(r.dir, 'trials'))).toBe(false);
      const names = new Set(r.rows.map((x) => x.name));
      expect(names.size).toBe(type === 'grid' ? 13 : type === 'random' ? 4 : names.size);
      if (type === 'evolution') expect(names.size).toBeGreaterThan(4);
      expect(r.frontier.length).toBeGreaterThan(0);
    }
  }, 120_000);

  it('refuses bad input in one line before anything trains', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        '  space: [{ family: wide_resnt, depth: 10, k: 1 }]\n  objectives: [{ name: params }]\n',
        /search\.space\[0\]\.family: unknown family 'wide_resnt'; did you mean 'wide_resnet'\?/,
      ],
      [
        '  space: [{ family: wide_resnet, depth: 10, width: 1 }]\n  objectives: [{ name: params }]\n',
        /search\.space\[0\]\.width: 'width' is not a choice of wide_resnet; .*k/,
      ],
      [
        '  space: [{ family: wide_resnet, depth: [10, 15], k: 1 }]\n  objectives: [{ name: params }]\n',
        /the choice depth 15, k 1 makes no wide_resnet: .*6n\+4/,
      ],
      [
        '  space: [{ family: wide_resnet, depth: 10, k: 1 }]\n  objectives: [{ name: accuracy }]\n',
        /search\.objectives\[0\]\.name: expected one of val_top1 \| val_loss \| params \| macs \| latency_ms/,
      ],
      ['  space: []\n  objectives: [{ name: params }]\n', /search\.space: the space is empty/],
      [
        '  space: [{ family: wide_resnet, depth: 10, k: 1 }]\n  objectives: [{ name: val_top1, budgets: [3, 2] }]\n',
        /budgets must increase, got \[3, 2\]/,
      ],
      [
        '  space: [{ family: wide_resnet, depth: 10, k: [1, 2] }]\n  objectives: [{ name: params, max: 1000 }]\n',
        /the constraint params <= 1000 excludes every one of the 2 points/,
      ],
    ];
    for (const [i, [yaml, pattern]] of cases.entries()) {
      const file = write(`bad-${i}.yaml`, yaml);
      const out = join(tmp, `bad-${i}`);
      const r = spawnSync(process.execPath, [CLI, 'search', '--config', file, '--out', out], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${yaml}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    }
  }, 120_000);
});
