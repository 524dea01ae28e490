/**
 * Inference latency of a registry model in a real browser (headless Chromium), for the search's
 * latency_ms objective with backend browser-wasm or browser-webgpu.
 *
 * Each call launches its own Chromium and serves the browser bundle on a loopback port of its own,
 * and closes both before returning, also on failure: about 0.5 s of overhead a call, no state
 * shared between calls (a crashed or wedged browser cannot spoil the next measurement), and
 * nothing for the caller to close. The model is built in the page with random weights (latency
 * does not depend on their values); each timed pass is forward + `await logits.data()`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { launchChromium } from './chromium.js';
import { ServeError } from './errors.js';
import { browserBundleDir } from './package_paths.js';
import { startStaticServer } from './static_server.js';

export interface BrowserLatencyOptions {
  /** A registry name, e.g. 'shake_resnet26_2x32d'. */
  model: string;
  /** createModel's options (numClasses, family options). */
  modelOptions?: Record<string, unknown>;
  backend: 'wasm' | 'webgpu';
  batch: number;
  /** Untimed passes first (the first ones compile kernels and grow the heap). Default 3. */
  warmup?: number;
  /** Timed passes. Default 7. */
  repeats?: number;
  /** Give up (and close the browser) after this long. Default 300 s. */
  timeoutMs?: number;
  /** The bundle's folder. Default the package's dist/browser. */
  bundleDir?: string;
}

export interface BrowserLatencyResult {
  /** Median of `times`, in milliseconds. */
  medianMs: number;
  /** Each timed pass, in milliseconds, in order. */
  times: number[];
  /** What the page ran on: tf.getBackend(), our wasm kernels' build, a webgpu adapter. */
  info: { tfBackend: string; kernels?: string; adapter?: { architecture: string; software: boolean } };
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>archai-ts latency</title>';

/** Median latency of batch-`batch` forward passes of `model` in headless Chromium on `backend`. */
export async function measureBrowserLatency(options: BrowserLatencyOptions): Promise<BrowserLatencyResult> {
  const warmup = options.warmup ?? 3;
  const repeats = options.repeats ?? 7;
  if (!Number.isInteger(options.batch) || options.batch < 1) throw new RangeError(`batch must be a positive integer, got ${options.batch}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`repeats must be a positive integer, got ${repeats}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`warmup must be a non-negative integer, got ${warmup}`);
  const bundleDir = options.bundleDir ?? browserBundleDir();
  if (!existsSync(join(bundleDir, 'archai-ts.js'))) {
    throw new ServeError(`the browser bundle ${join(bundleDir, 'archai-ts.js')} is missing; build it with \`npm run build:browser\``);
  }
  const server = await startStaticServer({
    host: '127.0.0.1',
    port: 0,
    resolve: (path) => {
      if (path === '/') return { body: PAGE, type: 'text/html; charset=utf-8' };
      const name = /^\/lib\/([\w.-]+)$/.exec(path)?.[1];
      return name ? { file: join(bundleDir, name) } : null;
    },
  });
  const browser = await launchChromium({ webgpu: options.backend === 'webgpu' }).catch(async (e: unknown) => {
    await server.close();
    throw e;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    const timeout = new Promise<never>((_, reject) => {
      const ms = options.timeoutMs ?? 300_000;
      timer = setTimeout(() => reject(new Error(`browser latency of ${options.model}: no result within ${ms / 1000} s`)), ms);
    });
    const run = (page.evaluate(pageScript({ ...options, warmup, repeats })) as Promise<Omit<BrowserLatencyResult, 'medianMs'>>).catch(
      (e: unknown) => {
        // Playwright prefixes the page's error with "page.evaluate: " and appends its stack.
        const message = String((e as Error).message ?? e)
          .replace(/^page\.evaluate: /, '')
          .split('\n')[0];
        throw new Error(`browser latency of ${options.model} on ${options.backend}: ${message}`, { cause: e });
      },
    );
    const { times, info } = await Promise.race([run, timeout]);
    return { medianMs: median(times), times, info };
  } finally {
    clearTimeout(timer);
    await browser.close();
    await server.close();
  }
}

/**
 * The measurement as a script for the page. A string, not a function: test runners and bundlers
 * may rewrite a function's source with helpers that do not exist in the page.
 */
function pageScript(o: BrowserLatencyOptions & { warmup: number; repeats: number }): string {
  const args = JSON.stringify({
    model: o.model,
    modelOptions: o.modelOptions ?? {},
    backend: o.backend,
    batch: o.batch,
    warmup: o.warmup,
    repeats: o.repeats,
  });
  return `(async () => {
    const a = ${args};
    const m = await import('/lib/archai-ts.js');
    const backend = await m.setBackend(a.backend);
    const model = m.createModel(a.model, a.modelOptions);
    const x = m.tf.randomNormal([a.batch, 32, 32, 3]);
    const pass = async () => {
      const y = m.tf.tidy(() => model.forward(x, { training: false }));
      await y.data();
      y.dispose();
    };
    for (let i = 0; i < a.warmup; i++) await pass();
    const times = [];
    for (let i = 0; i < a.repeats; i++) {
      const t0 = performance.now();
      await pass();
      times.push(performance.now() - t0);
    }
    x.dispose();
    model.dispose();
    const info = { tfBackend: backend.tfBackend };
    if (backend.kernels) info.kernels = backend.kernels;
    if (backend.adapter) info.adapter = { architecture: backend.adapter.architecture, software: backend.adapter.software };
    return { times, info };
  })()`;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
