/** measureBrowserLatency: forward passes of a registry model timed in headless Chromium. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { measureBrowserLatency, ServeError } from '../../src/serve/index.js';
import { browserMissing, buildBundle, reportBrowserAvailability } from './helpers.js';

reportBrowserAvailability('test/browser/latency.test.ts');

describe.skipIf(browserMissing != null)('measureBrowserLatency', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-latency-'));
  const bundleDir = join(tmp, 'lib');
  beforeAll(() => buildBundle(bundleDir), 20_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('times batch 1 and batch 4 of a tiny model on wasm, batch 4 the slower at best', { timeout: 30_000 }, async () => {
    const options = { model: 'shake_resnet8_2x4d', modelOptions: { numClasses: 10 }, backend: 'wasm', bundleDir, repeats: 5 } as const;
    const one = await measureBrowserLatency({ ...options, batch: 1 });
    const four = await measureBrowserLatency({ ...options, batch: 4 });
    for (const r of [one, four]) {
      expect(r.times).toHaveLength(5);
      expect(r.medianMs).toBeGreaterThan(0);
      expect(r.times.every((t) => t > 0 && Number.isFinite(t))).toBe(true);
      expect([...r.times].sort((a, b) => a - b)[2]).toBe(r.medianMs);
      expect(r.info.tfBackend).toBe('wasm');
      expect(r.info.kernels).toMatch(/^(relaxed-simd|simd128)$/);
    }
    // Minima, not medians: other test files share these two cores, and a pause can only lengthen a pass.
    expect(Math.min(...four.times)).toBeGreaterThan(Math.min(...one.times));
  });

  const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
  it.skipIf(!existsSync(CLI))('is what a search measures for latency_ms on browser-wasm', { timeout: 60_000 }, () => {
    const config = join(tmp, 'search.yaml');
    writeFileSync(
      config,
      `backend: wasm
data: {dataset: synthetic}
search:
  space: [{ family: shake_resnet, depth: 8, width: [4, 16] }]
  objectives: [{ name: params }, { name: latency_ms, backend: browser-wasm, batch: 1, repeats: 3 }]
`,
    );
    const r = spawnSync(process.execPath, [CLI, 'search', '--config', config, '--out', join(tmp, 'search')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const rows = readFileSync(join(tmp, 'search', 'trials.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(Number(row.split(',')[5])).toBeGreaterThan(0);
  });

  it('names what is wrong: an unknown model, a missing bundle, a bad batch', { timeout: 20_000 }, async () => {
    await expect(measureBrowserLatency({ model: 'no_such_net', backend: 'wasm', batch: 1, bundleDir })).rejects.toThrow(
      /^browser latency of no_such_net on wasm: (UnknownModelError: )?unknown model 'no_such_net'[^\n]*$/,
    );
    await expect(measureBrowserLatency({ model: 'shake_resnet8_2x4d', backend: 'wasm', batch: 1, bundleDir: tmp })).rejects.toThrow(
      ServeError,
    );
    await expect(measureBrowserLatency({ model: 'shake_resnet8_2x4d', backend: 'wasm', batch: 0, bundleDir })).rejects.toThrow(
      'batch must be a positive integer, got 0',
    );
  });
});
