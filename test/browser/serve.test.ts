/**
 * `archai-ts serve` without a browser: what the server hands out (bytes and content types), what
 * it refuses, bad input as one-line errors (exit 2 from the command), and Ctrl-C closing it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadDataset } from '../../src/data/index.js';
import { type RunServer, ServeError, serveRun } from '../../src/serve/index.js';
import { browserBundleDir } from '../../src/serve/package_paths.js';
import { buildBundle, ROOT, trainTinyRun } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-serve-'));
const run = join(tmp, 'run');
let server: RunServer;

beforeAll(async () => {
  // The command serves the package's own bundle: build it where `npm run build` has not.
  if (!existsSync(join(browserBundleDir(), 'archai-ts.js'))) await buildBundle(browserBundleDir());
  await trainTinyRun(run, 'shake_resnet8_2x4d', 1);
  server = await serveRun({ run });
}, 40_000);

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function get(path: string, init?: RequestInit): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const r = await fetch(new URL(path, server.url), init);
  return { status: r.status, type: r.headers.get('content-type'), bytes: Buffer.from(await r.arrayBuffer()) };
}

describe('serveRun', () => {
  it('serves the page, the bundle and the wasm binaries with their content types', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get('/');
    expect([page.status, page.type]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.bytes.toString()).toContain('src="app.js"');
    for (const path of ['/app.js', '/pixels.js', '/lib/archai-ts.js'])
      expect((await get(path)).type).toBe('text/javascript; charset=utf-8');
    expect((await get('/style.css')).type).toBe('text/css; charset=utf-8');
    const wasm = await get('/lib/tfjs-backend-wasm-simd.wasm');
    expect([wasm.status, wasm.type]).toEqual([200, 'application/wasm']);
    expect(wasm.bytes.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  });

  it("serves the run's best checkpoint, config, metrics and curves as they are on disk", async () => {
    expect(server.info.checkpoint).toBe('best');
    const files: Array<[string, string, string]> = [
      ['/run/checkpoint.safetensors', 'checkpoints/best.safetensors', 'application/octet-stream'],
      ['/run/config.yaml', 'config.yaml', 'text/yaml; charset=utf-8'],
      ['/run/metrics.jsonl', 'metrics.jsonl', 'application/jsonl; charset=utf-8'],
      ['/run/curves.svg', 'curves.svg', 'image/svg+xml'],
    ];
    for (const [path, file, type] of files) {
      const r = await get(path);
      expect([r.status, r.type], path).toEqual([200, type]);
      expect(r.bytes.equals(readFileSync(join(run, file))), path).toBe(true);
    }
  });

  it("describes the run and gives the first test images of its own data, with the data's statistics", async () => {
    const info = JSON.parse((await get('/run/info.json')).bytes.toString());
    const test = await loadDataset({ dataset: 'synthetic', root: '', seed: 5, synthetic: { trainSize: 64, testSize: 16 } }, 'test');
    expect(info).toMatchObject({ model: 'shake_resnet8_2x4d', checkpoint: 'best', dataset: 'synthetic', numClasses: 10, normalize: true });
    expect(info.modelOptions).toMatchObject({ numClasses: 10, seed: 5 });
    expect(info.classNames).toEqual(test.classNames);
    expect([info.mean, info.std]).toEqual([test.mean, test.std]);
    const { images } = JSON.parse((await get('/run/test-images.json')).bytes.toString());
    expect(images).toHaveLength(16);
    images.forEach((im: { index: number; label: number; pixels: string }, i: number) => {
      expect([im.index, im.label]).toEqual([i, test.labels[i]]);
      expect(Buffer.from(im.pixels, 'base64').equals(Buffer.from(test.images.subarray(i * 3072, (i + 1) * 3072)))).toBe(true);
    });
  });

  it('refuses everything else: other paths, ways out of its folders, other methods', async () => {
    for (const path of ['/nope.js', '/run/__proto__', '/run/x/y', '/lib/..%2Fpackage.json', '/%2E%2E/package.json', '/.hidden', '/lib/']) {
      expect((await get(path)).status, path).toBe(404);
    }
    expect((await get('/%E0%A4%A')).status).toBe(400);
    expect((await get('/', { method: 'POST' })).status).toBe(405);
    const head = await fetch(new URL('/lib/archai-ts.js', server.url), { method: 'HEAD' });
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1_000_000);
  });

  it('falls back to the last checkpoint, and without the CIFAR files still serves the model with a note', async () => {
    const copy = join(tmp, 'cifar-run');
    cpSync(run, copy, { recursive: true });
    rmSync(join(copy, 'checkpoints', 'best.safetensors'));
    const config = readFileSync(join(run, 'config.yaml'), 'utf8')
      .replace('dataset: synthetic', 'dataset: cifar10')
      .replace(/root: .*/, `root: ${join(tmp, 'no-cifar')}`);
    writeFileSync(join(copy, 'config.yaml'), config);
    const s = await serveRun({ run: copy });
    try {
      expect(s.info).toMatchObject({
        checkpoint: 'last',
        dataset: 'cifar10',
        mean: [0.4914, 0.4822, 0.4465],
        std: [0.247, 0.2435, 0.2616],
      });
      expect(s.info.classNames[0]).toBe('airplane');
      expect(s.info.testImagesNote).toMatch(/CIFAR-10/);
      const images = await (await fetch(new URL('/run/test-images.json', s.url))).json();
      expect(images).toEqual({ images: [] });
    } finally {
      await s.close();
    }
  });

  it('refuses a missing run, a file, a folder without a config or a checkpoint, and a port in use, in one line each', async () => {
    mkdirSync(join(tmp, 'empty'));
    mkdirSync(join(tmp, 'fresh'));
    writeFileSync(join(tmp, 'fresh', 'config.yaml'), readFileSync(join(run, 'config.yaml')));
    const cases: Array<[string, RegExp]> = [
      [join(tmp, 'missing'), /^run folder .*missing does not exist; pass a run folder that 'archai-ts train' wrote$/],
      [join(run, 'config.yaml'), /config\.yaml is not a folder; /],
      [join(tmp, 'empty'), /empty has no config\.yaml, so it is not a run folder; /],
      [
        join(tmp, 'fresh'),
        /fresh has no checkpoint yet \(checkpoints\/best\.safetensors or last\.safetensors\); serve it after its first epoch$/,
      ],
    ];
    for (const [dir, message] of cases) {
      const err = await serveRun({ run: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServeError);
      expect((err as Error).message).toMatch(message);
    }
    const port = Number(new URL(server.url).port);
    await expect(serveRun({ run, port })).rejects.toThrow(
      `port ${port} on 127.0.0.1 is in use; choose another with --port (0: any free port)`,
    );
  });
});

/** Runs the serve command in its own process (tsx), collecting its output. */
function serveCommand(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'browser', 'serve_child.ts'), 'serve', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

describe('archai-ts serve', () => {
  it('prints the URL, serves until SIGINT, then closes the port and exits 0', { timeout: 30_000 }, async () => {
    const cmd = serveCommand([run, '--port', '0']);
    for (let i = 0; i < 200 && !cmd.out().includes('\n'); i++) await new Promise((r) => setTimeout(r, 100));
    const url = cmd.out().trim();
    expect(url, cmd.err()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(cmd.err()).toMatch(/^archai-ts serve: shake_resnet8_2x4d \(best checkpoint of .*run\); Ctrl-C to stop\n/);
    expect((await fetch(new URL('/run/info.json', url))).status).toBe(200);
    cmd.child.kill('SIGINT');
    expect(await cmd.exit).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  it.each([
    {
      input: 'no such run',
      args: ['/no/such/run'],
      message: /^archai-ts: run folder \/no\/such\/run does not exist; pass a run folder that 'archai-ts train' wrote\n$/,
    },
    { input: 'port too high', args: [run, '--port', '70000'], message: /^archai-ts: --port must be at most 65535, got 70000\n$/ },
    { input: 'port not a number', args: [run, '--port', 'http'], message: /^archai-ts: --port must be an integer >= 0, got 'http'\n$/ },
  ])('exits 2 with one line for bad input: $input', { timeout: 30_000 }, async ({ args, message }) => {
    const cmd = serveCommand(args);
    expect(await cmd.exit).toBe(2);
    expect(cmd.err()).toMatch(message);
  });

  it('exits 2 with one line when the port is in use', { timeout: 30_000 }, async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const cmd = serveCommand([run, '--port', String(port)]);
      expect(await cmd.exit).toBe(2);
      expect(cmd.err()).toBe(`archai-ts: port ${port} on 127.0.0.1 is in use; choose another with --port (0: any free port)\n`);
    } finally {
      blocker.close();
    }
  });
});
