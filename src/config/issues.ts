import type { z } from 'zod';
import { closestNames } from '../util/names.js';
import { configError, type ConfigError, type SourcePosition } from './errors.js';
import { dotted, locate, type KeyPath, type Layer } from './layer.js';
import { keysAt } from './schema_keys.js';

type Issue = z.core.$ZodIssue & { input?: unknown };

function show(v: unknown): string {
  if (v === null) return 'an empty value (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string '${v.length > 40 ? `${v.slice(0, 37)}...` : v}'`;
  return `${typeof v} ${String(v)}`;
}

const ARTICLE: Record<string, string> = {
  int: 'an integer',
  object: 'a mapping',
  array: 'a list',
  tuple: 'a list',
  boolean: 'true or false',
};

const MODEL_HINT = "(see 'archai-ts list' for the names)";
const REQUIRED_HINTS: Record<string, string> = {
  model: `missing; say which network to train, e.g. model: {name: shake_resnet26_2x32d} ${MODEL_HINT}`,
  'model.name': `missing; name the network, e.g. name: shake_resnet26_2x32d ${MODEL_HINT}`,
};

/** "did you mean 'x'?" with the closest candidate, or the list of them. */
export function didYouMean(word: string, candidates: string[]): string {
  const near = closestNames(word, candidates, 1);
  return near.length ? `did you mean '${near[0]}'?` : `valid: ${candidates.join(', ')}`;
}

function bound(issue: Issue & { origin?: string; inclusive?: boolean }, op: '>' | '<', limit: unknown): string {
  const eq = issue.inclusive ? '=' : '';
  if (issue.origin === 'array') return `needs ${op === '>' ? 'at least' : 'at most'} ${String(limit)} items`;
  if (issue.origin === 'string') return op === '>' ? 'must not be empty' : `must be at most ${String(limit)} characters`;
  return `must be ${op}${eq} ${String(limit)}, got ${String(issue.input)}`;
}

/** What is wrong and how to fix it, for one issue; the path it is about (unknown keys name the key). */
function describe(issue: Issue, schema: z.core.$ZodType): { path: KeyPath; problem: string; isKey: boolean } {
  const path = issue.path as Array<string | number>;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const valid = keysAt(schema, path) ?? [];
      return { path: [...path, key], problem: `unknown key '${key}'; ${didYouMean(key, valid)}`, isKey: true };
    }
    case 'invalid_type': {
      if (issue.input === undefined)
        return { path, problem: REQUIRED_HINTS[dotted(path)] ?? 'missing; this key is required', isKey: false };
      const expected = ARTICLE[issue.expected] ?? `a ${issue.expected}`;
      return { path, problem: `expected ${expected}, got ${show(issue.input)}`, isKey: false };
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const got = issue.input;
      const hint = typeof got === 'string' ? `; ${didYouMean(got, values)}` : '';
      return { path, problem: `expected one of ${values.join(' | ')}, got ${show(got)}${hint}`, isKey: false };
    }
    case 'too_small':
      return { path, problem: bound(issue, '>', issue.minimum), isKey: false };
    case 'too_big':
      return { path, problem: bound(issue, '<', issue.maximum), isKey: false };
    default:
      // The model section marks its own unknown keys (a family's options are checked by the family).
      return { path, problem: issue.message, isKey: issue.code === 'custom' && issue.params?.isKey === true };
  }
}

/** The first issue as a one-line ConfigError pointing at the file and line that set the value. */
export function issueToError(issues: readonly Issue[], schema: z.core.$ZodType, layer: Layer, fallback: SourcePosition): ConfigError {
  const { path, problem, isKey } = describe(issues[0], schema);
  const found = locate(layer, path);
  const position = (isKey ? (found?.key ?? found?.value) : (found?.value ?? found?.key)) ?? fallback;
  const more = issues.length > 1 ? ` (${issues.length - 1} more problem${issues.length > 2 ? 's' : ''} after this one)` : '';
  return configError(position, dotted(path), problem + more);
}
