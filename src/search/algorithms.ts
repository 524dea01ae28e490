/**
 * How points are chosen (archai's discrete_search algorithms, on our space): grid (every point),
 * random (N points), successive halving (N points at the first budget, the best 1/eta continued to
 * the next, ranked by Pareto front and crowding) and evolution (Pareto evolution: the frontier's
 * points mutated one choice by one step, and crossed within a family). All draws come from the
 * search's seed, so the same seed and results give the same trials.
 */
import type { Generator } from '../util/random.js';
import type { Goal, Objective } from './objectives.js';
import { rank } from './pareto.js';
import type { Point, SearchSpace } from './space.js';
import type { TrialRow } from './state.js';

export interface AlgorithmContext {
  space: SearchSpace;
  /** The points that meet every cheap constraint, in space order. */
  feasible: (p: Point) => Promise<boolean>;
  /** Rows of the points at the budget (training them that far), in order. */
  evaluate: (points: Point[], budget: number | null) => Promise<TrialRow[]>;
  objectives: Objective[];
  budgets: number[];
  rng: Generator;
  settings: { trials?: number; eta: number; generations: number };
}

const lastBudget = (c: AlgorithmContext) => (c.budgets.length ? c.budgets[c.budgets.length - 1]! : null);

/** `k` distinct items of `items` drawn without replacement, in draw order. */
function sample<T>(items: readonly T[], k: number, rng: Generator): T[] {
  const pool = [...items];
  for (let i = 0; i < Math.min(k, pool.length); i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k);
}

async function feasiblePoints(c: AlgorithmContext, points: readonly Point[]): Promise<Point[]> {
  const out: Point[] = [];
  for (const p of points) if (await c.feasible(p)) out.push(p);
  return out;
}

/** Best first by Pareto front and crowding distance. */
export function rankRows(rows: readonly TrialRow[], objectives: readonly Objective[]): TrialRow[] {
  const goals: Goal[] = objectives.map((o) => o.goal);
  const scored = rows.map((r) => ({ values: objectives.map((o) => r.values[o.name]!) }));
  return rank(scored, goals).map((i) => rows[i]!);
}

async function grid(c: AlgorithmContext): Promise<void> {
  await c.evaluate(await feasiblePoints(c, c.space.points), lastBudget(c));
}

async function random(c: AlgorithmContext): Promise<void> {
  const points = await feasiblePoints(c, c.space.points);
  await c.evaluate(sample(points, c.settings.trials ?? 8, c.rng), lastBudget(c));
}

async function successiveHalving(c: AlgorithmContext): Promise<void> {
  let alive = sample(await feasiblePoints(c, c.space.points), c.settings.trials ?? 8, c.rng);
  for (const [i, budget] of c.budgets.entries()) {
    const rows = (await c.evaluate(alive, budget)).filter((r) => r.budget === budget);
    if (i === c.budgets.length - 1) break;
    const keep = Math.max(1, Math.ceil(alive.length / c.settings.eta));
    const best = new Set(
      rankRows(rows, c.objectives)
        .slice(0, keep)
        .map((r) => r.name),
    );
    alive = alive.filter((p) => best.has(p.name));
  }
}

/** New points from the frontier: a mutation of each, then crossovers within a family. */
async function offspring(c: AlgorithmContext, parents: Point[], seen: Set<string>, size: number): Promise<Point[]> {
  const children: Point[] = [];
  const take = async (p: Point | undefined) => {
    if (p && !seen.has(p.name) && children.length < size && (await c.feasible(p))) {
      seen.add(p.name);
      children.push(p);
    }
  };
  for (const parent of parents) {
    const options = c.space.neighbours(parent).filter((p) => !seen.has(p.name));
    await take(options[c.rng.int(Math.max(options.length, 1))]);
  }
  for (let tries = 0; tries < 4 * size && children.length < size && parents.length > 1; tries++) {
    const [a, b] = sample(parents, 2, c.rng);
    if (a!.family === b!.family) await take(c.space.crossover(a!, b!, c.rng));
  }
  return children;
}

async function evolution(c: AlgorithmContext): Promise<void> {
  const size = c.settings.trials ?? 8;
  const population = sample(await feasiblePoints(c, c.space.points), size, c.rng);
  const seen = new Set(population.map((p) => p.name));
  const byName = new Map(c.space.points.map((p) => [p.name, p]));
  const budget = lastBudget(c);
  let rows = await c.evaluate(population, budget);
  for (let g = 0; g < c.settings.generations; g++) {
    const final = rows.filter((r) => r.budget === budget);
    const ranked = rankRows(final, c.objectives);
    const parents = ranked.slice(0, Math.max(2, Math.ceil(size / 2))).map((r) => byName.get(r.name)!);
    const children = await offspring(c, parents, seen, size);
    if (!children.length) break;
    rows = [...rows, ...(await c.evaluate(children, budget))];
  }
}

export const ALGORITHMS = { grid, random, successive_halving: successiveHalving, evolution } as const;
