/**
 * The `search` section of a search config, validated like an experiment: strict keys, and every
 * rule checked before any training (families and their choices against the registry, objective
 * names, budgets, algorithm settings). The constraint check needs the models' sizes and is the
 * search's own (search.ts).
 */
import { z } from 'zod';
import { defaultRegistry } from '../registry/index.js';
import { closestNames } from '../util/names.js';
import { LATENCY_BACKENDS, OBJECTIVE_NAMES, OBJECTIVES } from './objectives.js';
import { type FamilyGrid, gridSize, invalidPoint } from './space.js';

/** More points than this is a search that would not finish: say so rather than start it. */
export const MAX_SPACE_POINTS = 10_000;

const choice = z.union([z.number(), z.boolean()]);

const familyGrid = z
  .looseObject({ family: z.string().min(1).describe('A model family (archai-ts list shows them).') })
  .describe('One family and, for each of its choices, the values to try.');

const objective = z
  .strictObject({
    name: z.enum(OBJECTIVE_NAMES).describe(OBJECTIVE_NAMES.map((n) => `${n}: ${OBJECTIVES[n].what}`).join('; ')),
    goal: z.enum(['min', 'max']).optional().describe('Default: max for val_top1, min otherwise.'),
    max: z.number().optional().describe('A constraint: models above it are never trained.'),
    min: z.number().optional().describe('A constraint: models below it are never trained.'),
    budgets: z
      .array(z.number().int().min(1))
      .min(1)
      .optional()
      .describe('Trained objectives: epoch budgets, increasing; the last is the schedule length.'),
    backend: z.enum(LATENCY_BACKENDS).optional().describe('latency_ms: where to measure it. Default: the experiment backend.'),
    batch: z.number().int().min(1).default(1).describe('latency_ms: images per forward pass.'),
    repeats: z.number().int().min(1).default(10).describe('latency_ms: timed passes (the median is taken).'),
  })
  .transform((o) => ({ ...o, goal: o.goal ?? OBJECTIVES[o.name].goal }))
  .describe('What to optimise, and bounds that make it a constraint.');

const algorithm = z
  .strictObject({
    type: z.enum(['grid', 'random', 'successive_halving', 'evolution']).default('grid'),
    trials: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('random, successive_halving: points drawn; evolution: the population. Default: all (grid), 8.'),
    eta: z.number().int().min(2).default(3).describe('successive_halving: keep the best 1/eta at each budget.'),
    generations: z.number().int().min(1).default(3).describe('evolution: rounds of mutation and crossover after the first population.'),
  })
  .describe('How points are chosen.');

/** The section's keys (before the cross-key checks): what `--set search.*` paths are checked against. */
export const searchObject = z
  .strictObject({
    seed: z.number().int().min(0).default(0).describe('Seeds the choice of points (the trials train with the experiment seed).'),
    space: z.array(familyGrid).describe('Families, each a grid of choices; a trial is one registry name.'),
    objectives: z
      .array(objective)
      .min(1)
      .describe('At least one; names: ' + OBJECTIVE_NAMES.join(', ')),
    algorithm: algorithm.prefault({}),
  })
  .describe('An architecture search over the zoo.');

export type SearchSection = z.output<typeof searchObject>;

/** The space's grids with every choice as a list, for SearchSpace. */
export function familyGrids(section: SearchSection): FamilyGrid[] {
  return section.space.map(({ family, ...choices }) => ({
    family,
    choices: Object.fromEntries(Object.entries(choices).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]) as Array<number | boolean>])),
  }));
}

type Ctx = z.RefinementCtx;

/** Adds the grid's problems; whether it had none. */
function checkGrid(grid: Record<string, unknown>, i: number, ctx: Ctx): boolean {
  const family = defaultRegistry.family(String(grid.family));
  const names = defaultRegistry.families.map((f) => f.name);
  if (!family) {
    const near = closestNames(String(grid.family), names, 1);
    const hint = near.length ? `did you mean '${near[0]}'?` : `families: ${names.join(', ')}`;
    ctx.addIssue({ code: 'custom', path: ['space', i, 'family'], message: `unknown family '${String(grid.family)}'; ${hint}` });
    return false;
  }
  let ok = true;
  const problem = (path: Array<string | number>, message: string, isKey = false) => {
    ok = false;
    ctx.addIssue({ code: 'custom', path, message, ...(isKey ? { params: { isKey } } : {}) });
  };
  const keys = Object.keys(family.choices);
  for (const [key, value] of Object.entries(grid)) {
    if (key === 'family') continue;
    if (!keys.includes(key)) {
      problem(
        ['space', i, key],
        `'${key}' is not a choice of ${family.name}; its choices: ${keys.map((k) => `${k} (${family.choices[k as never]})`).join(', ')}`,
        true,
      );
      continue;
    }
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || !list.every((v) => choice.safeParse(v).success)) {
      problem(['space', i, key], `expected a value or a non-empty list of values (${family.choices[key as never]})`);
    }
  }
  const missing = keys.filter((k) => !(k in grid));
  if (missing.length)
    problem(['space', i], `${family.name} needs a value for ${missing.map((k) => `${k} (${family.choices[k as never]})`).join(', ')}`);
  return ok;
}

function checkSpace(s: { space: Array<Record<string, unknown>> }, ctx: Ctx): void {
  if (s.space.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['space'],
      message: 'the space is empty; list at least one family, e.g. - { family: shake_resnet, depth: [8, 14], width: [16, 32] }',
    });
    return;
  }
  const ok = s.space.map((g, i) => checkGrid(g, i, ctx));
  if (!ok.every(Boolean)) return;
  const grids = familyGrids(s as SearchSection);
  grids.forEach((grid, i) => {
    const bad = invalidPoint(grid);
    if (bad) {
      const spelt = Object.entries(bad.arch)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      ctx.addIssue({
        code: 'custom',
        path: ['space', i],
        message: `the choice ${spelt} makes no ${grid.family}: ${bad.problem}; remove that value`,
      });
    }
  });
  const total = grids.reduce((n, g) => n + gridSize(g), 0);
  if (total > MAX_SPACE_POINTS)
    ctx.addIssue({ code: 'custom', path: ['space'], message: `${total} points is more than ${MAX_SPACE_POINTS}; offer fewer values` });
}

function checkObjectives(s: SearchSection, ctx: Ctx): void {
  const trained = s.objectives.filter((o) => OBJECTIVES[o.name].trained);
  s.objectives.forEach((o, i) => {
    const b = o.budgets;
    if (b && !OBJECTIVES[o.name].trained)
      ctx.addIssue({
        code: 'custom',
        path: ['objectives', i, 'budgets'],
        message: `${o.name} is not trained; budgets go with val_top1 or val_loss`,
      });
    if (b?.some((v, j) => j > 0 && v <= b[j - 1]!))
      ctx.addIssue({ code: 'custom', path: ['objectives', i, 'budgets'], message: `budgets must increase, got [${b.join(', ')}]` });
    if (o.name !== 'latency_ms' && o.backend)
      ctx.addIssue({ code: 'custom', path: ['objectives', i, 'backend'], message: 'backend goes with latency_ms only' });
  });
  if (trained.length > 1)
    ctx.addIssue({
      code: 'custom',
      path: ['objectives'],
      message: `one trained objective at most (val_top1 or val_loss), got ${trained.map((o) => o.name).join(' and ')}`,
    });
  const names = s.objectives.map((o) => o.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) ctx.addIssue({ code: 'custom', path: ['objectives'], message: `${twice} is listed twice` });
  if (s.algorithm.type === 'successive_halving' && (trained[0]?.budgets?.length ?? 0) < 2) {
    ctx.addIssue({
      code: 'custom',
      path: ['algorithm', 'type'],
      message: 'successive_halving needs a trained objective with two or more budgets, e.g. budgets: [1, 3, 9]',
    });
  }
}

function checkSearch(s: SearchSection, ctx: Ctx): void {
  checkSpace(s as unknown as { space: Array<Record<string, unknown>> }, ctx);
  checkObjectives(s, ctx);
}

export const searchSection = searchObject.superRefine(checkSearch);
