// Preload (node --import ./trace-deps.mjs ...) that records every file Node loads, ESM and CommonJS,
// into the file named by $TRACE_DEPS_OUT (one path a line, appended). scripts/gpu/bundle.mjs uses
// it to find the runtime files of the dependencies.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.TRACE_DEPS_OUT;
if (out) {
  register('./trace-hooks.mjs', import.meta.url, { data: { out } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    appendFileSync(out, Object.keys(require.cache).join('\n') + '\n');
  });
}
