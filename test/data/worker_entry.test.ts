/**
 * The loader's worker threads must start both from compiled JS (how the package runs from dist/)
 * and from TypeScript sources outside vitest (tsx), and an unclosed loader must not keep the process
 * alive. Each case runs in a child process, so "the process exits" is observable.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DataLoader, makeSynthetic } from '../../src/data/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What the compiled data layer needs: src/data plus the two modules it imports. */
const SOURCES = ['src/util/worker_thread.ts', 'src/util/random.ts', 'src/io/atomic.ts'];

const CHILD = `
import { createHash } from 'node:crypto';
const { DataLoader, makeSynthetic } = await import(process.argv[2]);
const dataset = makeSynthetic('train', { trainSize: 200, seed: 2 });
const loader = new DataLoader({ dataset, batchSize: 64, shuffle: true, seed: 3, augment: { cropPadding: 4, hflip: true, cutout: 8 }, workers: 2 });
const hash = createHash('sha256');
for await (const b of loader.batches(1)) { hash.update(b.x); hash.update(b.y); }
console.log(hash.digest('hex'));
// Deliberately no loader.close(): idle workers must not hold the process open.
`;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: stdout.trim(), stderr });
    });
  });
}

describe('DataLoader workers outside vitest', () => {
  let dir: string;
  let expected: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archai-dist-'));
    // Transpile (no type check: tsc -p covers that) into a dist-like tree with an ESM package.json.
    const files = [...(await readdir(join(ROOT, 'src/data'))).filter((f) => f.endsWith('.ts')).map((f) => `src/data/${f}`), ...SOURCES];
    for (const file of files) {
      const out = ts.transpileModule(await readFile(join(ROOT, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
        fileName: file,
      });
      const target = join(dir, file.replace(/\.ts$/, '.js'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, out.outputText);
    }
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    await writeFile(join(dir, 'child.mjs'), CHILD);

    const dataset = makeSynthetic('train', { trainSize: 200, seed: 2 });
    const loader = new DataLoader({
      dataset,
      batchSize: 64,
      shuffle: true,
      seed: 3,
      augment: { cropPadding: 4, hflip: true, cutout: 8 },
      workers: 0,
    });
    const hash = createHash('sha256');
    for await (const b of loader.batches(1)) {
      hash.update(b.x);
      hash.update(b.y);
    }
    expected = hash.digest('hex');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs from compiled JS (worker.js), matches in-process bytes and lets the process exit', { timeout: 40_000 }, async () => {
    const index = pathToFileURL(join(dir, 'src/data/index.js')).href;
    const r = await run([join(dir, 'child.mjs'), index]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it('runs from TypeScript sources under tsx (worker.ts via the bootstrap), same bytes, exits', { timeout: 40_000 }, async () => {
    const index = pathToFileURL(join(ROOT, 'src/data/index.ts')).href;
    const r = await run(['--import', 'tsx', join(dir, 'child.mjs'), index]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected);
  });
});
