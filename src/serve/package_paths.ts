/**
 * Folders of the installed package that `serve` hands out: the page (examples/browser) and the
 * browser bundle (dist/browser). Found from this file's own location, which is src/serve/ when
 * run from sources and dist/src/serve/ when built, so the package root is looked up, not assumed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding archai-ts's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'archai-ts') {
      root = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find archai-ts's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The demo page's folder. */
export function examplePageDir(): string {
  return join(packageRoot(), 'examples', 'browser');
}

/** Where `npm run build:browser` writes the bundle and tfjs's .wasm binaries. */
export function browserBundleDir(): string {
  return join(packageRoot(), 'dist', 'browser');
}
