/**
 * Pareto ranking over several objectives: non-dominated sorting (NSGA-II's fronts) and crowding
 * distance, which prefers points in sparse parts of a front. Values are turned into "smaller is
 * better" by their goal first.
 */
import type { Goal } from './objectives.js';

export interface Scored {
  /** One value per objective, in the objectives' order. */
  values: number[];
}

const better = (goal: Goal) => (goal === 'min' ? 1 : -1);

/** Whether a is at least as good as b everywhere and better somewhere. */
export function dominates(a: readonly number[], b: readonly number[], goals: readonly Goal[]): boolean {
  let strictly = false;
  for (let i = 0; i < goals.length; i++) {
    const d = (a[i]! - b[i]!) * better(goals[i]!);
    if (d > 0) return false;
    if (d < 0) strictly = true;
  }
  return strictly;
}

/** The fronts of `items`: indices of the non-dominated ones first, then of those dominated only by the first front, and so on. */
export function paretoFronts(items: readonly Scored[], goals: readonly Goal[]): number[][] {
  const dominatedBy = items.map(() => 0);
  const dominating: number[][] = items.map(() => []);
  for (let i = 0; i < items.length; i++) {
    for (let j = 0; j < items.length; j++) {
      if (i !== j && dominates(items[i]!.values, items[j]!.values, goals)) {
        dominating[i]!.push(j);
        dominatedBy[j]! += 1;
      }
    }
  }
  const fronts: number[][] = [];
  let current = items.map((_, i) => i).filter((i) => dominatedBy[i] === 0);
  while (current.length) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominating[i]!) {
        dominatedBy[j]! -= 1;
        if (dominatedBy[j] === 0) next.push(j);
      }
    }
    current = next.sort((a, b) => a - b);
  }
  return fronts;
}

/** Crowding distance of each member of one front (infinite at each objective's ends). */
export function crowding(items: readonly Scored[], front: readonly number[], objectives: number): Map<number, number> {
  const distance = new Map(front.map((i) => [i, 0]));
  for (let k = 0; k < objectives; k++) {
    const sorted = [...front].sort((a, b) => items[a]!.values[k]! - items[b]!.values[k]!);
    const lo = items[sorted[0]!]!.values[k]!;
    const hi = items[sorted[sorted.length - 1]!]!.values[k]!;
    distance.set(sorted[0]!, Number.POSITIVE_INFINITY);
    distance.set(sorted[sorted.length - 1]!, Number.POSITIVE_INFINITY);
    if (hi === lo) continue;
    for (let s = 1; s < sorted.length - 1; s++) {
      const gap = (items[sorted[s + 1]!]!.values[k]! - items[sorted[s - 1]!]!.values[k]!) / (hi - lo);
      distance.set(sorted[s]!, distance.get(sorted[s]!)! + gap);
    }
  }
  return distance;
}

/** Indices of `items` best first: by front, then by crowding distance (larger first), then by index (stable). */
export function rank(items: readonly Scored[], goals: readonly Goal[]): number[] {
  const order: number[] = [];
  for (const front of paretoFronts(items, goals)) {
    const d = crowding(items, front, goals.length);
    order.push(...[...front].sort((a, b) => d.get(b)! - d.get(a)! || a - b));
  }
  return order;
}
