/**
 * What a search leaves besides its runs: trials.csv (every trial at every budget), pareto.csv and
 * pareto/<name>.yaml (the frontier, each a ready experiment for `archai-ts train`), pareto.svg (the
 * frontier over each pair of objectives) and curves.svg (validation top-1 by epoch of every trial).
 */
import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dumpConfig } from '../config/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { renderCurvesSvg, renderParetoSvg } from '../plot/index.js';
import type { EpochMetrics } from '../trainer/index.js';
import { type SearchConfig, trialConfig } from './config.js';
import type { Objective } from './objectives.js';
import { dominates } from './pareto.js';
import type { TrialRow } from './state.js';

export interface FrontierRow extends TrialRow {
  is_pareto: boolean;
}

/** The rows the frontier is taken over (the last budget's, or all when nothing is trained), flagged. */
export function frontier(rows: readonly TrialRow[], objectives: readonly Objective[], budget: number | null): FrontierRow[] {
  const final = rows.filter((r) => r.budget === budget);
  const goals = objectives.map((o) => o.goal);
  const values = (r: TrialRow) => objectives.map((o) => r.values[o.name]!);
  const isPareto = (r: TrialRow) => !final.some((o) => o !== r && dominates(values(o), values(r), goals));
  return rows.map((r) => ({ ...r, is_pareto: r.budget === budget && isPareto(r) }));
}

const csvCell = (v: unknown) =>
  v === undefined || v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);

function csv(rows: readonly FrontierRow[], objectives: readonly Objective[]): string {
  const header = ['name', 'family', 'choices', 'budget', ...objectives.map((o) => o.name), 'is_pareto', 'seconds'];
  const lines = rows.map((r) =>
    [r.name, r.family, r.choices, r.budget, ...objectives.map((o) => r.values[o.name]), r.is_pareto, r.seconds.toFixed(1)]
      .map(csvCell)
      .join(','),
  );
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

async function histories(dir: string, names: string[]): Promise<Array<{ label: string; history: EpochMetrics[] }>> {
  const out = [];
  for (const name of names) {
    const text = await readFile(join(dir, 'trials', name, 'metrics.jsonl'), 'utf8').catch(() => '');
    const history = text.trim()
      ? text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as EpochMetrics)
      : [];
    if (history.length) out.push({ label: name, history });
  }
  return out;
}

/** Writes every result file of the search from its rows (rewritten whole: they are small). */
export async function writeResults(dir: string, config: SearchConfig, rows: FrontierRow[]): Promise<void> {
  const objectives = config.search.objectives;
  await writeFileAtomic(join(dir, 'trials.csv'), csv(rows, objectives));
  const front = rows.filter((r) => r.is_pareto);
  await writeFileAtomic(join(dir, 'pareto.csv'), csv(front, objectives));
  await mkdir(join(dir, 'pareto'), { recursive: true });
  const budget = config.budgets.length ? config.budgets[config.budgets.length - 1]! : null;
  for (const r of front) await writeFileAtomic(join(dir, 'pareto', `${r.name}.yaml`), dumpConfig(trialConfig(config, r.name, budget)));
  const final = rows.filter((r) => r.budget === budget);
  if (final.length) {
    const points = final.map((r) => ({ name: r.name, ...r.values, is_pareto: r.is_pareto }));
    await writeFileAtomic(
      join(dir, 'pareto.svg'),
      await renderParetoSvg(
        points,
        objectives.map((o) => ({ name: o.name, goal: o.goal })),
      ),
    );
  }
  const curves = await histories(dir, [...new Set(rows.map((r) => r.name))]);
  if (curves.length) await writeFileAtomic(join(dir, 'curves.svg'), await renderCurvesSvg(curves));
}
