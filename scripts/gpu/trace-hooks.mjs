// Module hooks for trace-deps.mjs: each resolved file: URL is appended to the output file.
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let out;
export function initialize(data) {
  out = data.out;
}
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (out && r.url.startsWith('file:')) appendFileSync(out, fileURLToPath(r.url) + '\n');
  return r;
}
