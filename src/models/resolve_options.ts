import type { z } from 'zod';

/**
 * A family's options resolved against its schema (defaults filled in), or a RangeError naming the
 * first problem: for code that builds the networks' classes directly, past createModel's checks.
 * `what` prefixes the key path (e.g. 'shake.forward'); without it the path alone, or 'options'.
 */
export function resolveOptions<S extends z.ZodType>(schema: S, value: unknown, what = ''): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.join('.');
    const at = path ? (what ? `${what}.${path}` : path) : what || 'options';
    throw new RangeError(`${at}: ${issue.message}`);
  }
  return r.data;
}
