#!/usr/bin/env node
// Bundles the browser entry (src/browser.ts) with tfjs into one ES module, dist/browser/archai-ts.js,
// and copies tfjs-backend-wasm's .wasm binaries next to it (the wasm backend loads them from the
// bundle's folder). Built ahead of time, not inside `archai-ts serve`: esbuild is a dev dependency,
// and an installed package should serve the same bytes on every machine.
//
//   node scripts/build-browser.mjs [--out DIR]   (default dist/browser)
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** The bundle's file name inside the output folder. */
export const BUNDLE = 'archai-ts.js';

/**
 * Builds the bundle into `outDir`; returns its files with their sizes in bytes. Throws (with
 * esbuild's messages) if anything reachable from src/browser.ts cannot be bundled for a browser.
 */
export async function buildBrowserBundle(outDir = join(root, 'dist', 'browser')) {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(root, 'src', 'browser.ts')],
    outfile: join(outDir, BUNDLE),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'linked',
    logLevel: 'error',
  });
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  for (const name of readdirSync(wasmDir).filter((n) => n.endsWith('.wasm'))) {
    copyFileSync(join(wasmDir, name), join(outDir, name));
  }
  return Object.fromEntries(readdirSync(outDir).map((n) => [n, statSync(join(outDir, n)).size]));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? resolve(process.argv[at + 1] ?? '') : undefined;
  const t0 = performance.now();
  const files = await buildBrowserBundle(out);
  const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
  const js = files[BUNDLE];
  console.log(
    `build-browser: ${BUNDLE} ${kb(js)} + ${Object.keys(files).filter((n) => n.endsWith('.wasm')).length} .wasm in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}
