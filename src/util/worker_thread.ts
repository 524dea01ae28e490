/**
 * Starting one of the package's own modules as a worker thread, from compiled JS or from sources.
 *
 * From compiled JS (dist/) the entry is `name.js`, which Node loads as is. From TypeScript sources
 * (vitest, tsx) it is `name.ts`, which plain Node cannot load, and Node 20 does not apply
 * `--import tsx` given in a Worker's execArgv; so the worker is started from a two-line eval
 * bootstrap that registers tsx's ESM hooks inside the thread and then imports the .ts file. tsx is a
 * dev dependency, present wherever the sources are run.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A Worker running the module `name` (without extension) beside `caller` (the caller's
 * import.meta.url). `noTsx` is the message of the error thrown when the sources are run without tsx.
 */
export function startWorker(caller: string, name: string, options: WorkerOptions, noTsx: string): Worker {
  if (!caller.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, caller), options);
  let tsx: string;
  try {
    const pkg = createRequire(caller).resolve('tsx/package.json');
    tsx = pathToFileURL(pkg.replace(/package\.json$/, 'dist/esm/api/index.mjs')).href;
  } catch {
    throw new Error(noTsx);
  }
  const entry = new URL(`./${name}.ts`, caller).href;
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  // execArgv [] so that a parent's own loader flags (e.g. tsx's) are not half-applied in the thread.
  return new Worker(code, { ...options, eval: true, execArgv: [] });
}
