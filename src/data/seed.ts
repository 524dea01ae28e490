/**
 * Derives the seed of one random stream from a tuple such as (seed, epoch, batch). Every draw of the
 * data pipeline comes from a Generator seeded this way rather than from one long-lived stream, so
 * any batch can be reproduced on its own: a resumed run, a worker thread and the main thread all
 * get the same numbers for the same tuple.
 */

/** Murmur3's finaliser: a bijection on 32 bits with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit seed for `new Generator(...)` from safe integers (negative and above 2^32 allowed).
 * Order and count matter: mixSeed(1, 2) ≠ mixSeed(2, 1) ≠ mixSeed(1, 2, 0).
 */
export function mixSeed(...parts: number[]): number {
  let h = fmix32(0x9e3779b9 ^ parts.length);
  for (const p of parts) {
    if (!Number.isSafeInteger(p)) throw new RangeError(`mixSeed: parts must be safe integers, got ${p}`);
    const lo = p >>> 0;
    const hi = Math.floor(p / 2 ** 32) >>> 0;
    h = fmix32((h ^ lo) + 0x7f4a7c15);
    h = fmix32((h ^ hi) + 0x165667b1);
  }
  return h;
}
