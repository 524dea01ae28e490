/**
 * Shared by the real-browser tests: whether Chromium is here (and whether it must be), tiny
 * training runs, a fresh browser bundle, and Node's own logits to compare the browser's with.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'vitest';

import { setBackend } from '../../src/backend/index.js';
import { parseConfigText } from '../../src/config/index.js';
import { createModel } from '../../src/registry/index.js';
import { readCheckpoint } from '../../src/trainer/checkpoint.js';
import { evalLoader, modelOptions } from '../../src/trainer/components.js';
import { train } from '../../src/trainer/index.js';
import { tf } from '../../src/tf.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';

/** ARCHAI_TS_REQUIRE_BROWSER (set by .ci/run): a missing Chromium fails the tests instead of skipping them. */
const required = !['', '0', undefined].includes(process.env['ARCHAI_TS_REQUIRE_BROWSER']);

/** Why the browser tests cannot run here, or null. */
export const browserMissing: string | null = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (Debian: apt-get install chromium)`;

/** Call at the top of a browser test file: says why it skips, or fails where a browser is required. */
export function reportBrowserAvailability(file: string): void {
  if (browserMissing == null) return;
  process.stderr.write(`${file}: real-browser tests ${required ? 'FAIL' : 'skipped'}: ${browserMissing}\n`);
  if (required) {
    it('has a browser (ARCHAI_TS_REQUIRE_BROWSER is set)', () => {
      throw new Error(`ARCHAI_TS_REQUIRE_BROWSER is set but ${browserMissing}`);
    });
  }
}

/** Builds the browser bundle (with the repo's own script, as `npm run build:browser` does) into `dir`. */
export async function buildBundle(dir: string): Promise<void> {
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build-browser.mjs'), '--out', dir], { cwd: ROOT });
}

/** Trains a tiny run on the synthetic set (wasm, one thread) into `dir`; returns `dir`. */
export async function trainTinyRun(dir: string, model: string, epochs: number): Promise<string> {
  await train(tinyConfig(dir, model, epochs), { outDir: dir });
  return dir;
}

function tinyConfig(dir: string, model: string, epochs: number) {
  return parseConfigText(
    `seed: 5
backend: wasm
model: {name: ${model}, num_classes: 10}
data:
  dataset: synthetic
  batch_size: 16
  workers: 0
  synthetic: {train_size: 64, test_size: 16}
trainer:
  epochs: ${epochs}
  replicas: 1
  optimizer: {type: sgd, lr: 0.05, momentum: 0.9, nesterov: true}
  schedule: {type: cosine}
`,
    join(dir, 'tiny.yaml'),
  );
}

/**
 * Node's logits for the run's test images (wasm backend, the run's best checkpoint, the images
 * through the repo's own evaluation loader), with their labels.
 */
export async function nodeLogits(dir: string, model: string, epochs: number): Promise<{ logits: number[][]; labels: number[] }> {
  const config = tinyConfig(dir, model, epochs);
  await setBackend('wasm');
  const loader = await evalLoader(config, 'test');
  const m = createModel(config.model.name, modelOptions(config));
  try {
    m.loadStateDict((await readCheckpoint(join(dir, 'checkpoints', 'best.safetensors'))).model);
    const logits: number[][] = [];
    const labels: number[] = [];
    for await (const batch of loader.batches(0)) {
      const y = tf.tidy(() => m.forward(tf.tensor4d(batch.x, [batch.n, 32, 32, 3]), { training: false }));
      logits.push(...((await y.array()) as number[][]));
      y.dispose();
      labels.push(...batch.y);
    }
    return { logits, labels };
  } finally {
    m.dispose();
    await loader.close();
  }
}

/** Largest |a - b| over the largest |b|: an error relative to the logits' scale. */
export function relError(a: number[][], b: number[][]): number {
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) {
    for (let k = 0; k < b[i]!.length; k++) {
      worst = Math.max(worst, Math.abs(a[i]![k]! - b[i]![k]!));
      scale = Math.max(scale, Math.abs(b[i]![k]!));
    }
  }
  return worst / scale;
}

export function argmax(row: readonly number[]): number {
  return row.reduce((best, v, k) => (v > row[best]! ? k : best), 0);
}
