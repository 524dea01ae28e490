/**
 * A search space: grids of choices over the zoo's families. A point is one value per choice of one
 * family, and its model is the registry name the family's grammar spells for it, so every point is
 * a model `archai-ts train` can build by name.
 */
import type { AnyModelFamily, Architecture } from '../models/family.js';
import { defaultRegistry } from '../registry/index.js';
import type { Generator } from '../util/random.js';

export type ChoiceValue = number | boolean;

/** One family's grid: each choice key with the values to try, in the order mutation steps through them. */
export interface FamilyGrid {
  family: string;
  choices: Record<string, ChoiceValue[]>;
}

export interface Point {
  family: string;
  /** The family's architecture (one value per choice). */
  arch: Architecture;
  /** The registry name, the trial's identity. */
  name: string;
}

export class SearchSpace {
  readonly points: Point[];
  private readonly grids: Map<string, FamilyGrid>;

  constructor(grids: readonly FamilyGrid[]) {
    this.grids = new Map(grids.map((g) => [g.family, g]));
    const byName = new Map<string, Point>();
    for (const g of grids) for (const p of gridPoints(g)) if (!byName.has(p.name)) byName.set(p.name, p);
    this.points = [...byName.values()];
  }

  /** Points that differ from `p` in one choice by one step of its list. */
  neighbours(p: Point): Point[] {
    const grid = this.grids.get(p.family)!;
    const out: Point[] = [];
    for (const [key, values] of Object.entries(grid.choices)) {
      const i = values.indexOf(p.arch[key]!);
      for (const j of [i - 1, i + 1]) if (j >= 0 && j < values.length) out.push(pointOf(grid.family, { ...p.arch, [key]: values[j]! }));
    }
    return out;
  }

  /** A child of two points of one family: each choice from either parent. */
  crossover(a: Point, b: Point, rng: Generator): Point {
    const arch = Object.fromEntries(Object.keys(a.arch).map((k) => [k, rng.uniform() < 0.5 ? a.arch[k]! : b.arch[k]!]));
    return pointOf(a.family, arch);
  }
}

function familyOf(name: string): AnyModelFamily {
  const family = defaultRegistry.family(name);
  if (!family) throw new RangeError(`unknown model family '${name}'`);
  return family;
}

export function pointOf(family: string, arch: Architecture): Point {
  return { family, arch, name: familyOf(family).format(arch) };
}

/** Every combination of a grid's choices, in order (the last key varies fastest). */
function combinations(grid: FamilyGrid): Array<Record<string, ChoiceValue>> {
  let combos: Array<Record<string, ChoiceValue>> = [{}];
  for (const [key, values] of Object.entries(grid.choices)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  return combos;
}

export function gridPoints(grid: FamilyGrid): Point[] {
  return combinations(grid).map((arch) => pointOf(grid.family, arch));
}

/** The number of combinations of a grid, without listing them. */
export function gridSize(grid: FamilyGrid): number {
  return Object.values(grid.choices).reduce((n, v) => n * v.length, 1);
}

/** Why a combination of a grid is not a model of its family (the family's rule), or null. */
export function invalidPoint(grid: FamilyGrid): { arch: Record<string, ChoiceValue>; problem: string } | null {
  const family = familyOf(grid.family);
  for (const arch of combinations(grid)) {
    const parsed = family.parse(family.format(arch));
    if (typeof parsed === 'string' || parsed === null)
      return { arch, problem: parsed ?? `'${family.format(arch)}' is not a ${family.name} name` };
  }
  return null;
}
