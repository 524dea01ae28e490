/**
 * The browser entry must bundle for a browser: nothing reachable from src/browser.ts may need a
 * Node module. esbuild with platform=browser fails on any Node builtin that a package's "browser"
 * field does not replace; the metafile shows where each import comes from.
 */
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { describe, expect, it } from 'vitest';

import { ROOT } from './helpers.js';

const OPTIONS: BuildOptions = { bundle: true, format: 'esm', platform: 'browser', write: false, metafile: true, logLevel: 'silent' };

describe('the browser bundle', () => {
  it('builds from src/browser.ts with no Node module (node: or builtin) anywhere in it', { timeout: 20_000 }, async () => {
    const result = await build({ ...OPTIONS, entryPoints: [join(ROOT, 'src', 'browser.ts')] });
    const offenders: string[] = [];
    for (const [file, input] of Object.entries(result.metafile!.inputs)) {
      for (const imp of input.imports) {
        // "(disabled):fs" is a package's own browser-field replacement (tfjs's Node code paths), an empty module.
        if (imp.path.startsWith('node:') || isBuiltin(imp.path)) offenders.push(`${file} imports ${imp.path}`);
      }
    }
    expect(offenders).toEqual([]);
    const ours = Object.keys(result.metafile!.inputs).filter((f) => f.startsWith('src/'));
    expect(ours).toContain('src/browser.ts');
    expect(ours).toContain('src/backend/browser_backend.ts');
    expect(ours.filter((f) => /backend\/backend\.ts|io\/safetensors_file|io\/atomic|wasm\/kernels\.ts|wasm\/threads/.test(f))).toEqual([]);
    const text = result.outputFiles![0]!.text;
    expect(text).not.toMatch(/\bfrom\s*["']node:|\bimport\(\s*["']node:/);
  });

  it('fails for the Node entry, which reads files (so the check above can fail)', { timeout: 20_000 }, async () => {
    const failure = await build({ ...OPTIONS, entryPoints: [join(ROOT, 'src', 'index.ts')] }).then(
      () => null,
      (e: { errors?: Array<{ text: string; location: { file: string } | null }> }) => e,
    );
    const ours = (failure?.errors ?? []).filter((e) => e.location?.file.startsWith('src/')).map((e) => `${e.location!.file}: ${e.text}`);
    expect(ours).toContainEqual(expect.stringMatching(/^src\/io\/safetensors_file\.ts: Could not resolve "node:fs\/promises"/));
  });
});
