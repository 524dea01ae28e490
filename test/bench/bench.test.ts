/**
 * `runBench` and `archai-ts bench` on the backends every machine has (cpu, wasm), with the tiny net:
 * the numbers are sane and the CLI's --json line parses. The built CLI (npm test builds it first)
 * runs in a child process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { tf } from '../../src/tf.js';
import { BenchOptionsError, formatBench, median, runBench, validateBenchOptions } from '../../src/bench/bench.js';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const MODEL = 'shake_resnet8_2x8d';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('runBench', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`trains ${MODEL} on ${backend} and reports sane numbers`, async () => {
      const r = await runBench({ model: MODEL, mode: 'train', batch: 2, backend, warmup: 1, steps: 2, imageSize: 16 });
      expect(r.model).toBe(MODEL);
      expect(r.backend).toBe(backend);
      expect(r.adapter).toBeNull();
      expect(r.mode).toBe('train');
      expect(r.batch).toBe(2);
      expect(r.steps).toBe(2);
      expect(r.warmup).toBe(1);
      expect(r.step_ms).toHaveLength(2);
      for (const ms of r.step_ms) expect(ms).toBeGreaterThan(0);
      expect(r.step_ms_median).toBeCloseTo(median(r.step_ms), 2);
      expect(r.step_ms_min).toBeLessThanOrEqual(r.step_ms_median);
      expect(r.step_ms_max).toBeGreaterThanOrEqual(r.step_ms_median);
      expect(r.images_per_s).toBeCloseTo(2 / (r.step_ms_median / 1000), 0);
      expect(r.first_step_ms).toBeGreaterThan(0);
      expect(r.peak_rss_mb).toBeGreaterThan(10);
      expect(r.leaked_tensors).toBe(0);
      expect(r.node).toBe(process.version);
      expect(r.tfjs).toBe(tf.version.tfjs);
      expect(Number.isNaN(Date.parse(r.date))).toBe(false);
      if (backend === 'wasm') expect(r.threads).toBeGreaterThanOrEqual(1);
      expect(formatBench(r)).toMatch(/images\/s/);
    });
  }

  it('times eval steps and profiles a step by kernel', async () => {
    const before = tf.memory().numTensors;
    const r = await runBench({ model: MODEL, mode: 'eval', batch: 2, backend: 'cpu', warmup: 0, steps: 2, imageSize: 16, profile: true });
    expect(r.mode).toBe('eval');
    expect(r.first_step_ms).toBeNull();
    expect(r.images_per_s).toBeGreaterThan(0);
    const p = r.profile!;
    expect(p.method).toBe('wall');
    expect(p.kernelCalls).toBeGreaterThan(10);
    expect(p.kernels[0]!.ms).toBeGreaterThanOrEqual(p.kernels[p.kernels.length - 1]!.ms);
    expect(p.kernels.map((k) => k.name)).toContain('Conv2D');
    expect(formatBench(r)).toMatch(/kernel profile/);
    // The model, input and optimizer are freed.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a training profile separates the conv gradients from the forward convs they run', async () => {
    const r = await runBench({ model: MODEL, mode: 'train', batch: 2, backend: 'cpu', warmup: 1, steps: 1, imageSize: 8, profile: true });
    const k = r.profile!.kernels;
    const filter = k.find((s) => s.name === 'Conv2DBackpropFilter' && !s.nested)!;
    expect(filter).toBeDefined();
    expect(filter.selfMs).toBeLessThanOrEqual(filter.ms);
    expect(k.some((s) => s.name === 'Conv2D' && s.nested)).toBe(true);
    const pct = k.filter((s) => !s.nested).reduce((a, s) => a + s.pct, 0);
    expect(pct).toBeGreaterThan(95);
    expect(pct).toBeLessThan(105);
  });

  it('rejects bad options with a BenchOptionsError', () => {
    const base = { model: MODEL, mode: 'train' as const, batch: 2 };
    expect(() => validateBenchOptions({ ...base, batch: 0 })).toThrow(BenchOptionsError);
    expect(() => validateBenchOptions({ ...base, batch: 1.5 })).toThrow(/batch must be an integer >= 1/);
    expect(() => validateBenchOptions({ ...base, mode: 'infer' as never })).toThrow(/mode must be 'train' or 'eval'/);
    expect(() => validateBenchOptions({ ...base, backend: 'webgl' as never })).toThrow(/backend must be one of .*got 'webgl'/);
    expect(() => validateBenchOptions({ ...base, steps: 0 })).toThrow(/steps/);
    expect(validateBenchOptions(base)).toMatchObject({ backend: 'auto', warmup: 3, steps: 10, imageSize: 32 });
  });
});

describe.skipIf(!existsSync(CLI))('archai-ts bench', () => {
  it('--json prints one parseable line', () => {
    const r = cli(
      'bench',
      '--model',
      MODEL,
      '--batch',
      '2',
      '--backend',
      'wasm',
      '--warmup',
      '1',
      '--steps',
      '2',
      '--image-size',
      '16',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!);
    for (const key of [
      'model',
      'backend',
      'adapter',
      'batch',
      'mode',
      'images_per_s',
      'step_ms_median',
      'peak_rss_mb',
      'steps',
      'warmup',
      'threads',
      'node',
      'tfjs',
      'date',
    ]) {
      expect(j, key).toHaveProperty(key);
    }
    expect(j).toMatchObject({ model: MODEL, backend: 'wasm', adapter: null, batch: 2, mode: 'train', steps: 2, warmup: 1 });
    expect(j.images_per_s).toBeGreaterThan(0);
  });

  it('--replicas 2 shares each step with a worker thread running the compiled replica worker', () => {
    const r = cli(
      'bench',
      '--model',
      MODEL,
      '--batch',
      '4',
      '--backend',
      'wasm',
      '--warmup',
      '1',
      '--steps',
      '1',
      '--image-size',
      '16',
      '--replicas',
      '2',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ replicas: 2, batch: 4, mode: 'train', leaked_tensors: 0 });
  });

  it('prints a readable summary without --json', () => {
    const r = cli(
      'bench',
      '--model',
      MODEL,
      '--batch',
      '2',
      '--backend',
      'cpu',
      '--mode',
      'eval',
      '--warmup',
      '0',
      '--steps',
      '1',
      '--image-size',
      '16',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/shake_resnet8_2x8d eval, batch 2, 16x16, backend cpu/);
    expect(r.stdout).toMatch(/images\/s: median step/);
  });

  for (const [args, pattern] of [
    [['--model', 'no_such_net', '--batch', '2', '--backend', 'cpu'], /no_such_net/],
    [['--model', MODEL, '--batch', '0'], /--batch must be an integer >= 1, got 0$/],
    [['--model', MODEL, '--batch', '2', '--mode', 'infer'], /--mode must be 'train' or 'eval', got 'infer'/],
    [['--model', MODEL, '--batch', '2', '--backend', 'webgl'], /--backend must be one of auto, .*webgpu.*, got 'webgl'/],
    [['--batch', '2'], /--model is required/],
    [['--model', MODEL, '--batch', '2', '--replicas', '0'], /--replicas must be an integer >= 1, got 0$/],
  ] as const) {
    it(`bad flags: ${args.join(' ')} → one line, exit 2`, () => {
      const r = cli('bench', ...args);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(r.stdout).toBe('');
    });
  }
});
