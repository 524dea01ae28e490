import { parse } from 'yaml';
import { UsageError } from './errors.js';

/**
 * `--option key=value` flags as a family's options: the value is YAML (so `0.3` is a number and
 * `{gate: keep}` a mapping) and dotted keys nest (`shake.forward=even`). The family checks them.
 */
export function parseOptionFlags(specs: readonly string[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const path = spec.slice(0, Math.max(eq, 0)).split('.');
    if (eq <= 0 || path.some((p) => p.trim() === '')) {
      throw new UsageError(`--option expects key=value, e.g. --option variant=paper or --option shake.forward=even; got '${spec}'`);
    }
    let value: unknown;
    try {
      value = parse(spec.slice(eq + 1));
    } catch {
      throw new UsageError(`--option ${spec}: the value is not valid YAML; quote it`);
    }
    let node = options;
    for (const key of path.slice(0, -1)) {
      const child = node[key];
      const next = (typeof child === 'object' && child !== null ? child : {}) as Record<string, unknown>;
      node[key] = next;
      node = next;
    }
    node[path[path.length - 1]!] = value;
  }
  return options;
}

/** Options as one line: `variant=archai shake={forward: shake, ...}`. */
export function formatOptions(options: Record<string, unknown>): string {
  const show = (v: unknown): string =>
    typeof v === 'object' && v !== null
      ? `{${Object.entries(v)
          .map(([k, x]) => `${k}: ${show(x)}`)
          .join(', ')}}`
      : String(v);
  const entries = Object.entries(options);
  return entries.length ? entries.map(([k, v]) => `${k}=${show(v)}`).join(' ') : '(none)';
}
