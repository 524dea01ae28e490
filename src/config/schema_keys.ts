import { z } from 'zod';
import type { KeyPath } from './layer.js';

/** The schema under defaults, optionals and transforms: what a value at that place must look like. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (;;) {
    const def = s._zod.def as z.core.$ZodTypeDef & { innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if ((def.type === 'default' || def.type === 'prefault' || def.type === 'optional' || def.type === 'nullable') && def.innerType)
      s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

function shapeOf(schema: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
  const s = unwrap(schema);
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.core.$ZodType>) : undefined;
}

/** Valid keys of the mapping at `path` in the schema, or undefined when no mapping lives there. */
export function keysAt(schema: z.core.$ZodType, path: KeyPath): string[] | undefined {
  let s: z.core.$ZodType | undefined = schema;
  for (const seg of path) {
    const shape: Record<string, z.core.$ZodType> | undefined = s && shapeOf(s);
    s = shape && typeof seg === 'string' ? shape[seg] : undefined;
    if (!s) return undefined;
  }
  const shape = shapeOf(s);
  return shape ? Object.keys(shape) : undefined;
}

export type PathCheck = { ok: true } | { ok: false; at: number; valid: string[] | undefined };

/**
 * Whether `path` names a key of the schema. On failure, `at` is the index of the first segment
 * that is not a key, and `valid` the keys allowed there (undefined when the parent is no mapping).
 */
export function checkPath(schema: z.core.$ZodType, path: readonly string[]): PathCheck {
  for (let i = 0; i < path.length; i++) {
    const valid = keysAt(schema, path.slice(0, i));
    if (!valid?.includes(path[i])) return { ok: false, at: i, valid };
  }
  return { ok: true };
}

/**
 * `value` with every mapping's keys in the schema's order, so derived defaults filled in after
 * parsing sit where the schema declares them, not at the end (dumps and logs read in schema order).
 */
export function inSchemaOrder<T>(schema: z.core.$ZodType, value: T, path: string[] = []): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = keysAt(schema, path) ?? [];
  const entries = Object.entries(value as Record<string, unknown>);
  const rank = (k: string) => (keys.includes(k) ? keys.indexOf(k) : keys.length);
  entries.sort(([a], [b]) => rank(a) - rank(b));
  return Object.fromEntries(entries.map(([k, v]) => [k, inSchemaOrder(schema, v, [...path, k])])) as T;
}
