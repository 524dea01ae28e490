/**
 * `archai-ts serve RUN`: the demo page (examples/browser), the browser bundle (dist/browser) and
 * one run's checkpoint, config, metrics, curves and test images, over loopback HTTP.
 *
 *   /                  examples/browser/index.html (and its other files by name)
 *   /lib/NAME          dist/browser/NAME: archai-ts.js and tfjs's .wasm binaries
 *   /run/NAME          checkpoint.safetensors, config.yaml, metrics.jsonl, curves.svg, info.json, test-images.json
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { ServeError } from './errors.js';
import { browserBundleDir, examplePageDir } from './package_paths.js';
import { type RunInfo, readRunData } from './run_data.js';
import { locateRun, type RunFiles } from './run_files.js';
import { type Asset, type StaticServer, startStaticServer } from './static_server.js';

export interface ServeOptions {
  /** The run folder. */
  run: string;
  /** Default 127.0.0.1 (loopback: the page is for this machine). */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** How many test images the page classifies. Default 16. */
  images?: number;
  /** The page's folder. Default the package's examples/browser. */
  pageDir?: string;
  /** The bundle's folder. Default the package's dist/browser. */
  bundleDir?: string;
}

export interface RunServer extends StaticServer {
  readonly files: RunFiles;
  readonly info: RunInfo;
}

/** Checks the run and the package's page and bundle, then serves them. Bad input is a one-line ServeError. */
export async function serveRun(options: ServeOptions): Promise<RunServer> {
  const pageDir = options.pageDir ?? examplePageDir();
  const bundleDir = options.bundleDir ?? browserBundleDir();
  if (!existsSync(join(bundleDir, 'archai-ts.js'))) {
    throw new ServeError(`the browser bundle ${join(bundleDir, 'archai-ts.js')} is missing; build it with \`npm run build:browser\``);
  }
  if (!existsSync(join(pageDir, 'index.html'))) throw new ServeError(`the demo page ${join(pageDir, 'index.html')} is missing`);
  const files = await locateRun(options.run);
  const { info, testImages } = await readRunData(files, options.images ?? 16);
  const json = (value: unknown): Asset => ({ body: JSON.stringify(value), type: 'application/json; charset=utf-8' });
  const runAssets = new Map<string, Asset>([
    ['checkpoint.safetensors', { file: files.checkpoint }],
    ['config.yaml', { file: files.config }],
    // Read on each request: a run still training appends epochs and redraws its curves.
    ['metrics.jsonl', { file: join(files.dir, 'metrics.jsonl') }],
    ['curves.svg', { file: join(files.dir, 'curves.svg') }],
    ['info.json', json(info)],
    ['test-images.json', json(testImages)],
  ]);
  const server = await startStaticServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    resolve: (path) => {
      if (path === '/') return { file: join(pageDir, 'index.html') };
      const [, top, name, ...rest] = path.split('/');
      if (rest.length > 0) return null;
      if (name === undefined) return plainName(top) ? { file: join(pageDir, top!) } : null;
      if (top === 'run') return runAssets.get(name) ?? null;
      if (top === 'lib' && plainName(name)) return { file: join(bundleDir, name) };
      return null;
    },
  });
  return Object.assign(server, { files, info });
}

/** A file name with no way out of its folder. */
function plainName(name: string | undefined): boolean {
  return name != null && /^[\w.-]+$/.test(name) && !name.startsWith('.');
}
