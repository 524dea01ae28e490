/**
 * What a replica must agree on with the main thread's model for a data-parallel step to be the
 * single-thread step: the class, classes, the family's options, and every parameter's name
 * and shape. Replicas rebuild the model from its registry name, so a model built otherwise (other
 * options, another width) would silently train wrongly; comparing these catches that.
 */
import type { Model } from '../models/model.js';

const cache = new WeakMap<Model, string[]>();

/** The model's description, one line per item (lines make the first difference easy to name). */
export function modelFingerprint(model: Model): string[] {
  let lines = cache.get(model);
  if (lines == null) {
    lines = [
      `class ${model.constructor.name}`,
      `numClasses ${model.numClasses}`,
      ...Object.entries(model.options).map(([k, v]) => `option ${k} ${JSON.stringify(v)}`),
      ...[...model.namedParameters()].map(([name, v]) => `parameter ${name} [${v.shape.join(', ')}]`),
    ];
    cache.set(model, lines);
  }
  return lines;
}

/** The first line where `a` and `b` differ, as "ours vs theirs", or null when they are equal. */
export function fingerprintDifference(a: readonly string[], b: readonly string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `${a[i] ?? '(nothing)'} vs ${b[i] ?? '(nothing)'}`;
  }
  return null;
}
