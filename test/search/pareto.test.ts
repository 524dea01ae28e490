import { describe, expect, it } from 'vitest';
import { crowding, dominates, paretoFronts, rank } from '../../src/search/pareto.js';

const items = (rows: number[][]) => rows.map((values) => ({ values }));

describe('Pareto ranking', () => {
  it('respects each goal when comparing', () => {
    expect(dominates([0.9, 10], [0.8, 20], ['max', 'min'])).toBe(true);
    expect(dominates([0.9, 30], [0.8, 20], ['max', 'min'])).toBe(false);
    expect(dominates([0.9, 20], [0.9, 20], ['max', 'min'])).toBe(false);
  });

  it('sorts into fronts and prefers the ends and sparse parts of a front', () => {
    // (accuracy max, params min): 0,1,2 are the frontier; 3 is dominated by 1; 4 by 3.
    const rows = items([
      [0.9, 100],
      [0.8, 50],
      [0.6, 10],
      [0.7, 60],
      [0.5, 70],
    ]);
    expect(paretoFronts(rows, ['max', 'min'])).toEqual([[0, 1, 2], [3], [4]]);
    const d = crowding(rows, [0, 1, 2], 2);
    expect(d.get(0)).toBe(Number.POSITIVE_INFINITY);
    expect(d.get(2)).toBe(Number.POSITIVE_INFINITY);
    expect(d.get(1)).toBeCloseTo((0.9 - 0.6) / 0.3 + (100 - 10) / 90);
    expect(rank(rows, ['max', 'min'])).toEqual([0, 2, 1, 3, 4]);
  });
});
