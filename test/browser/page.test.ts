/**
 * The demo page of `archai-ts serve` in headless Chromium: tiny runs trained here, served on port 0,
 * classified in the browser on wasm (and on WebGPU where Chromium offers SwiftShader's adapter), and
 * compared with Node's logits for the same checkpoint and images. Also the user's own images (a
 * dropped PNG, a dropped non-image, a checkpoint of another model) and the README's screenshot.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium } from '../../src/serve/chromium.js';
import { type RunServer, serveRun } from '../../src/serve/index.js';
import { argmax, browserMissing, buildBundle, nodeLogits, reportBrowserAvailability, ROOT, relError, trainTinyRun } from './helpers.js';

reportBrowserAvailability('test/browser/page.test.ts');

/** The README's picture: rewritten where missing or with ARCHAI_TS_UPDATE_SCREENSHOT=1, so test runs leave the tree clean. */
const SCREENSHOT = join(ROOT, 'docs', 'browser.png');

const RUNS = {
  shake: { model: 'shake_resnet8_2x4d', epochs: 2 },
  wide: { model: 'wide_resnet10_1', epochs: 1 },
  pyramid: { model: 'pyramidnet8_a8', epochs: 1 },
} as const;
type RunKey = keyof typeof RUNS;

interface Served {
  server: RunServer;
  node: { logits: number[][]; labels: number[] };
}

describe.skipIf(browserMissing != null)('the demo page in Chromium', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-page-'));
  const served = {} as Record<RunKey, Served>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const lib = join(tmp, 'lib');
    const [launched] = await Promise.all([launchChromium({ webgpu: true }), buildBundle(lib)]);
    browser = launched;
    for (const [key, run] of Object.entries(RUNS) as Array<[RunKey, (typeof RUNS)[RunKey]]>) {
      const dir = await trainTinyRun(join(tmp, key), run.model, run.epochs);
      const node = await nodeLogits(dir, run.model, run.epochs);
      served[key] = { server: await serveRun({ run: dir, bundleDir: lib }), node };
    }
    page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
  }, 45_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(Object.values(served).map((s) => s.server.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Opens the page of a run and waits until it has classified the test images (or failed). */
  async function open(key: RunKey, backend = 'wasm'): Promise<number[][]> {
    await page.goto(`${served[key].server.url}?backend=${backend}`);
    await page.waitForFunction(() => document.body.dataset['state'] !== 'loading', null, { timeout: 30_000 });
    const error = await page.locator('#error').textContent();
    expect(await page.evaluate(() => document.body.dataset['state']), error ?? '').toBe('ready');
    return page.evaluate(() => (window as unknown as { archaiDemo: { logits: number[][] } }).archaiDemo.logits);
  }

  it("computes Node's logits on wasm and shows the class Node predicts for each test image", { timeout: 15_000 }, async () => {
    const logits = await open('shake');
    const { node } = served.shake;
    expect(logits).toHaveLength(16);
    expect(relError(logits, node.logits)).toBeLessThan(1e-4);
    const names = served.shake.server.info.classNames;
    const cards = await page
      .locator('#grid .card')
      .evaluateAll((els) => els.map((e) => ({ pred: e.getAttribute('data-pred'), text: e.textContent })));
    expect(cards.map((c) => Number(c.pred))).toEqual(node.logits.map(argmax));
    cards.forEach((c, i) => {
      expect(c.text).toContain(names[argmax(node.logits[i]!)]!);
      expect(c.text).toContain(`true: ${names[node.labels[i]!]}`);
    });
    expect(await page.locator('#status').textContent()).toMatch(/^wasm \((relaxed-simd|simd128) kernels\) · best checkpoint/);
  });

  it.each(['wide', 'pyramid'] as const)("computes Node's logits on wasm for a %s run", { timeout: 15_000 }, async (key) => {
    const logits = await open(key);
    expect(relError(logits, served[key].node.logits)).toBeLessThan(1e-4);
  });

  it('classifies a dropped PNG of a test image as Node classifies that image', { timeout: 15_000 }, async () => {
    await open('shake');
    await page.evaluate(async () => {
      const demo = (window as unknown as { archaiDemo: { images: Array<{ bytes: Uint8Array }> } }).archaiDemo;
      const canvas = document.createElement('canvas');
      canvas.width = 32;
      canvas.height = 32;
      const ctx = canvas.getContext('2d')!;
      const image = ctx.createImageData(32, 32);
      const bytes = demo.images[3]!.bytes;
      for (let p = 0; p < 1024; p++) image.data.set([bytes[3 * p]!, bytes[3 * p + 1]!, bytes[3 * p + 2]!, 255], 4 * p);
      ctx.putImageData(image, 0, 0);
      const png = await new Promise<Blob>((done) => canvas.toBlob((b) => done(b!), 'image/png'));
      const drop = new DataTransfer();
      drop.items.add(new File([png], 'test-image-3.png', { type: 'image/png' }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: drop, bubbles: true, cancelable: true }));
    });
    await page.waitForFunction(() => document.getElementById('result')!.dataset['pred'] != null, null, { timeout: 10_000 });
    const last = await page.evaluate(() => (window as unknown as { archaiDemo: { last: { logits: number[] } } }).archaiDemo.last);
    const nodeRow = served.shake.node.logits[3]!;
    expect(argmax(last.logits)).toBe(argmax(nodeRow));
    expect(relError([last.logits], [nodeRow])).toBeLessThan(1e-4);
    expect(await page.locator('#error').isHidden()).toBe(true);
    await screenshot();
  });

  async function screenshot(): Promise<void> {
    const file = join(tmp, 'browser.png');
    await page.screenshot({ path: file });
    expect(statSync(file).size).toBeLessThan(200 * 1024);
    if (!existsSync(SCREENSHOT) || process.env['ARCHAI_TS_UPDATE_SCREENSHOT'] === '1') copyFileSync(file, SCREENSHOT);
  }

  it('says so on the page when the dropped file is not an image', { timeout: 15_000 }, async () => {
    await open('shake');
    await page.evaluate(() => {
      const drop = new DataTransfer();
      drop.items.add(new File(['not pixels'], 'notes.txt', { type: 'text/plain' }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: drop, bubbles: true, cancelable: true }));
    });
    const error = page.locator('#error');
    await error.waitFor({ state: 'visible', timeout: 5_000 });
    expect(await error.textContent()).toMatch(/^notes\.txt \(text\/plain\) is not an image this browser can read; drop a PNG/);
  });

  it('says so on the page when the checkpoint is of another model, and keeps the weights it had', { timeout: 15_000 }, async () => {
    const before = await open('shake');
    const other = served.wide.server.files.checkpoint;
    await page
      .locator('#file')
      .setInputFiles({ name: 'wide.safetensors', mimeType: 'application/octet-stream', buffer: readFileSync(other) });
    const error = page.locator('#error');
    await error.waitFor({ state: 'visible', timeout: 5_000 });
    expect(await error.textContent()).toMatch(
      /^wide\.safetensors does not fit shake_resnet8_2x4d: state dict does not match the model \(missing keys: /,
    );
    const after = await page.evaluate(() => (window as unknown as { archaiDemo: { logits: number[][] } }).archaiDemo.logits);
    expect(after).toEqual(before);
  });

  it("computes Node's logits on WebGPU (SwiftShader) within 1e-3, where Chromium offers an adapter", { timeout: 40_000 }, async (ctx) => {
    await page.goto(served.shake.server.url);
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { architecture?: string } } | null> } }).gpu;
      const a = await gpu?.requestAdapter();
      return a ? (a.info?.architecture ?? 'unknown') : null;
    });
    if (adapter == null) {
      process.stderr.write('webgpu page test skipped: headless Chromium offers no WebGPU adapter even with --enable-unsafe-webgpu\n');
      ctx.skip();
    }
    const logits = await open('shake', 'webgpu');
    expect(await page.locator('#status').textContent()).toMatch(/^webgpu \(/);
    expect(relError(logits, served.shake.node.logits)).toBeLessThan(1e-3);
  });
});
