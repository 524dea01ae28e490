import { parse } from 'yaml';
import type { z } from 'zod';
import { closestNames } from '../util/names.js';
import { configError } from './errors.js';
import { pathKey, type Layer } from './layer.js';
import { checkPath } from './schema_keys.js';

/**
 * One `--set key.path=value` as a layer to merge on top of the files. The value is YAML, so
 * `0.1` is a number, `true` a boolean, `{forward: even}` a mapping that merges into the one there.
 */
export function overrideLayer(spec: string, schema: z.core.$ZodType): Layer {
  const source = `--set ${spec}`;
  const eq = spec.indexOf('=');
  if (eq <= 0) throw configError({ source }, undefined, 'expected key.path=value, e.g. --set trainer.optimizer.lr=0.1');
  const keyText = spec.slice(0, eq).trim();
  const path = keyText.split('.');
  if (path.some((p) => p === ''))
    throw configError({ source }, keyText, 'empty key in the path; write dotted keys like trainer.optimizer.lr');
  const check = checkPath(schema, path);
  if (!check.ok) {
    const bad = path[check.at];
    const parent = path.slice(0, check.at).join('.') || 'the top level';
    const problem = check.valid
      ? (() => {
          const near = closestNames(bad, check.valid, 1);
          return `unknown key '${bad}' in ${parent}; ${near.length ? `did you mean '${near[0]}'?` : `valid: ${check.valid.join(', ')}`}`;
        })()
      : `${parent} is a single value, it has no key '${bad}'`;
    throw configError({ source }, keyText, problem);
  }
  let value: unknown;
  try {
    value = parse(spec.slice(eq + 1));
  } catch (e) {
    throw configError({ source }, keyText, `the value is not valid YAML (${(e as Error).message.split('\n')[0]}); quote it`);
  }
  const data: Record<string, unknown> = {};
  let node = data;
  for (const seg of path.slice(0, -1)) {
    const child: Record<string, unknown> = {};
    node[seg] = child;
    node = child;
  }
  node[path[path.length - 1]] = value;
  return { data, positions: new Map([[pathKey(path), { key: { source }, value: { source } }]]) };
}
