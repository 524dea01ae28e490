import type { Generator } from '../util/random.js';

/** A share of a larger batch, as ForwardOptions.rows: this pass holds rows [offset, offset + N) of `total`. */
export interface BatchRows {
  offset: number;
  total: number;
}

/**
 * Uniform draws in [low, high), `perRow` for each of this pass's `n` rows. With `rows`, the whole
 * batch's draws are made and this pass's slice returned, so data-parallel shares consume the
 * generator as the unsplit batch does and see the same numbers for the same images.
 */
export function uniformRows(rng: Generator, n: number, perRow: number, rows?: BatchRows, low = 0, high = 1): Float32Array {
  if (!rows) return rng.fillUniform(new Float32Array(n * perRow), low, high);
  if (rows.offset < 0 || rows.offset + n > rows.total)
    throw new RangeError(`rows ${rows.offset}..${rows.offset + n} are outside a batch of ${rows.total}`);
  const all = rng.fillUniform(new Float32Array(rows.total * perRow), low, high);
  return all.subarray(rows.offset * perRow, (rows.offset + n) * perRow);
}
