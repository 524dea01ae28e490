/**
 * The browser entry (src/browser.ts, bundled) in headless Chromium: the registry, safetensors from a
 * URL and from bytes, backends, and a training step that matches Node's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { setBackend } from '../../src/backend/index.js';
import { Optimizer } from '../../src/engine/optimizer.js';
import { trainStep } from '../../src/engine/step.js';
import { encodeSafetensors } from '../../src/io/index.js';
import { Generator } from '../../src/nn/index.js';
import { createModel, listModels, modelInfo } from '../../src/registry/index.js';
import { launchChromium } from '../../src/serve/chromium.js';
import { type StaticServer, startStaticServer } from '../../src/serve/index.js';
import { tf } from '../../src/tf.js';
import { lcgValues } from '../helpers.js';
import { browserMissing, buildBundle, relError, reportBrowserAvailability } from './helpers.js';

reportBrowserAvailability('test/browser/api.test.ts');
// tfjs's "install the node backend" banner, printed before any setBackend here.
tf.env().set('PROD', true);

const WEIGHTS = encodeSafetensors(
  { 'a.b': { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) } },
  { note: 'hi' },
);

/** The page's view of the bundle's exports (the parts these tests use). */
// biome-ignore lint/suspicious/noExplicitAny: the bundle is untyped in the page
type Api = Record<string, any>;

describe.skipIf(browserMissing != null)('the browser entry in Chromium', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-api-'));
  let server: StaticServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const lib = join(tmp, 'lib');
    const [launched] = await Promise.all([launchChromium(), buildBundle(lib)]);
    browser = launched;
    server = await startStaticServer({
      host: '127.0.0.1',
      port: 0,
      resolve: (path) => {
        if (path === '/') return { body: '<!doctype html><title>api</title>', type: 'text/html' };
        if (path === '/w.safetensors') return { body: WEIGHTS, type: 'application/octet-stream' };
        const name = /^\/lib\/([\w.-]+)$/.exec(path)?.[1];
        return name ? { file: join(lib, name) } : null;
      },
    });
    page = await browser.newPage();
    await page.goto(server.url);
    // A module script, not import() in evaluated functions: the test runner rewrites dynamic imports in this file.
    await page.addScriptTag({ type: 'module', content: "import * as m from '/lib/archai-ts.js'; window.archai = m;" });
    await page.waitForFunction(() => 'archai' in window, null, { timeout: 10_000 });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("lists and describes the registry's models as Node does", { timeout: 10_000 }, async () => {
    const got = await page.evaluate(async () => {
      const m = (window as unknown as { archai: Api }).archai;
      return { names: m.listModels(), info: m.modelInfo('wide_resnet16_4', { numClasses: 100 }).params };
    });
    expect(got.names).toEqual(listModels());
    expect(got.info).toBe(modelInfo('wide_resnet16_4', { numClasses: 100 }).params);
  });

  it('reads safetensors from a URL and from bytes, and names a failed fetch', { timeout: 10_000 }, async () => {
    const got = await page.evaluate(async () => {
      const m = (window as unknown as { archai: Api }).archai;
      const fromUrl = await m.readSafetensorsSource('/w.safetensors');
      const bytes = new Uint8Array(await (await fetch('/w.safetensors')).arrayBuffer());
      const fromBytes = await m.readSafetensors(bytes);
      const missing = await m.readSafetensors('/missing.safetensors').catch((e: Error) => `${e.name}: ${e.message}`);
      return {
        url: { values: Array.from(await fromUrl.tensors['a.b'].data()), shape: fromUrl.tensors['a.b'].shape, metadata: fromUrl.metadata },
        bytes: Array.from(await fromBytes['a.b'].data()),
        missing,
      };
    });
    expect(got.url).toEqual({ values: [1, 2, 3, 4, 5, 6], shape: [2, 3], metadata: { note: 'hi' } });
    expect(got.bytes).toEqual([1, 2, 3, 4, 5, 6]);
    expect(got.missing).toBe('SafetensorsError: safetensors /missing.safetensors: cannot fetch (HTTP 404 Not Found)');
  });

  it("refuses an unknown backend in one line, gives wasm's logits on cpu and webgl, and 'auto' takes wasm here", {
    timeout: 20_000,
  }, async () => {
    const got = await page.evaluate(async () => {
      const m = (window as unknown as { archai: Api }).archai;
      const bad = await m.setBackend('tensorflow').catch((e: Error) => e.message);
      const logits: Record<string, number[]> = {};
      for (const name of ['wasm', 'cpu', 'webgl']) {
        const info = await m.setBackend(name);
        const model = m.createModel('shake_resnet8_2x4d', { numClasses: 10, seed: 3 });
        const x = m.tf.linspace(-1, 1, 2 * 32 * 32 * 3).reshape([2, 32, 32, 3]);
        const y = model.forward(x, { training: false });
        logits[info.tfBackend] = Array.from(await y.data());
        m.tf.dispose([x, y]);
        model.dispose();
      }
      const auto = await m.setBackend('auto');
      return { bad, logits, auto: { name: auto.name, fallbackFrom: auto.fallbackFrom } };
    });
    expect(got.bad).toBe("unknown backend 'tensorflow'; in a browser choose one of auto, webgpu, wasm, webgl, cpu");
    expect(Object.keys(got.logits)).toEqual(['wasm', 'cpu', 'webgl']);
    expect(relError([got.logits['cpu']!], [got.logits['wasm']!])).toBeLessThan(1e-4);
    expect(relError([got.logits['webgl']!], [got.logits['wasm']!])).toBeLessThan(1e-3);
    // This Chromium runs without --enable-unsafe-webgpu: 'auto' passes webgpu over, saying why.
    expect(got.auto).toEqual({
      name: 'wasm',
      fallbackFrom: [expect.stringMatching(/^backend 'webgpu': the browser offers no WebGPU adapter/)],
    });
  });

  it("takes a training step on wasm with Node's loss and updated weights", { timeout: 20_000 }, async () => {
    const x = Array.from(lcgValues(8 * 32 * 32 * 3, 11));
    const labels = [0, 1, 2, 3, 4, 5, 6, 7];
    const browserStep = await page.evaluate(
      async ({ x, labels }) => {
        const m = (window as unknown as { archai: Api }).archai;
        const backend = await m.setBackend('wasm');
        const model = m.createModel('shake_resnet8_2x4d', { numClasses: 10, seed: 1 });
        const opt = new m.Optimizer(model.namedParameters(), { type: 'sgd', momentum: 0.9, nesterov: true });
        const xs = m.tf.tensor4d(x, [8, 32, 32, 3]);
        const ys = m.tf.tensor1d(labels, 'int32');
        const { loss } = m.trainStep(model, opt, xs, ys, { lr: 0.1, rng: new m.Generator(7) });
        const weights: number[][] = [];
        for (const p of model.namedParameters().values()) weights.push(Array.from(await p.data()));
        return { kernels: backend.kernels, loss: (await loss.data())[0], weights };
      },
      { x, labels },
    );
    await setBackend('wasm');
    const model = createModel('shake_resnet8_2x4d', { numClasses: 10, seed: 1 });
    const opt = new Optimizer(model.namedParameters(), { type: 'sgd', momentum: 0.9, nesterov: true });
    const xs = tf.tensor4d(x, [8, 32, 32, 3]);
    const ys = tf.tensor1d(labels, 'int32');
    const { loss } = trainStep(model, opt, xs, ys, { lr: 0.1, rng: new Generator(7) });
    const weights: number[][] = [];
    for (const p of model.namedParameters().values()) weights.push(Array.from(await p.data()));
    expect(browserStep.kernels).toMatch(/^(relaxed-simd|simd128)$/);
    expect(Math.abs(browserStep.loss - (await loss.data())[0]!)).toBeLessThan(1e-5);
    expect(browserStep.weights).toHaveLength(weights.length);
    expect(relError(browserStep.weights, weights)).toBeLessThan(1e-5);
  });
});
