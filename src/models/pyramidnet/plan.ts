/** The widths and drop probabilities of a CIFAR PyramidNet, computed as archai's PyramidNet.__init__ does. */

export interface PyramidBlockPlan {
  inChannels: number;
  /** Width of the 3x3 convolutions. */
  planes: number;
  /** planes, or 4·planes for a bottleneck block. */
  outChannels: number;
  stride: number;
  /** ShakeDrop's drop probability for this block. */
  pDrop: number;
}

/** Why a depth and alpha can't build a PyramidNet, or null if they can: the one statement of its rules. */
export function pyramidNetError(depth: number, alpha: number, bottleneck: boolean): string | null {
  const [a, rule, examples] = bottleneck ? [9, '9n+2', '11, 20, 29, ..., 272'] : [6, '6n+2', '8, 14, 20, ..., 110'];
  if (!Number.isInteger(depth) || depth < a + 2 || (depth - 2) % a !== 0) {
    return `PyramidNet${bottleneck ? ' (bottleneck)' : ''} depth must be ${rule} with n >= 1 (${examples}), got ${depth}`;
  }
  if (!Number.isInteger(alpha) || alpha < 0) return `PyramidNet alpha (total widening) must be an integer >= 0, got ${alpha}`;
  return null;
}

/**
 * Three stages of n blocks (strides 1, 2, 2). The width grows by alpha / 3n a block from 16,
 * accumulated in float64 and rounded half to even as Python's round(), so the widths are archai's
 * to the channel. Block i of L = 3n drops with p_final·(i+1)/L, written as archai's
 * 1 − (1 − (0.5/L)·(i+1)) so that p_final = 0.5 gives its numbers bit for bit.
 */
export function pyramidPlan(depth: number, alpha: number, bottleneck: boolean, pFinal: number): PyramidBlockPlan[][] {
  const err = pyramidNetError(depth, alpha, bottleneck);
  if (err) throw new RangeError(err);
  const n = (depth - 2) / (bottleneck ? 9 : 6);
  const ratio = bottleneck ? 4 : 1;
  const total = 3 * n;
  const addrate = alpha / total;
  let dim = 16;
  let inChannels = 16;
  let i = 0;
  return [1, 2, 2].map((stageStride) =>
    Array.from({ length: n }, (_, b) => {
      dim += addrate;
      const planes = roundHalfEven(dim);
      const block = {
        inChannels,
        planes,
        outChannels: planes * ratio,
        stride: b === 0 ? stageStride : 1,
        pDrop: 1 - (1 - (pFinal / total) * (i + 1)),
      };
      inChannels = block.outChannels;
      i++;
      return block;
    }),
  );
}

/** Python 3's round(): to the nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
