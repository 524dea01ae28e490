/**
 * Measuring trials: the cheap objectives of a point (measured once, kept in the state), and the rows
 * of points trained to a budget by a TrialRunner, each in its own run folder, SEARCH/trials/<name>/.
 * A higher budget resumes the same run, so budget 3 continues budget 1 exactly, and a search
 * stopped mid-trial resumes it.
 */
import { runBench } from '../bench/bench.js';
import { modelInfo } from '../registry/index.js';
import type { EpochMetrics, Logger } from '../trainer/index.js';
import type { SearchConfig } from './config.js';
import { type Objective, withinBounds } from './objectives.js';
import type { TrialRunner } from './runner.js';
import type { Point } from './space.js';
import { type Cheap, rowKey, type SearchState, type TrialRow, writeState } from './state.js';

export interface TrialContext {
  config: SearchConfig;
  dir: string;
  state: SearchState;
  log: Logger;
  signal?: AbortSignal;
  onTrial?: (row: TrialRow) => void;
  /** Measures latency in a headless browser (serve/), when an objective asks for it there. */
  browserLatency?: (o: { model: string; backend: 'wasm' | 'webgpu'; batch: number; repeats: number }) => Promise<number>;
}

async function latency(ctx: TrialContext, name: string, o: Objective): Promise<number> {
  const backend = o.backend ?? ctx.config.base.backend;
  const batch = o.batch ?? 1;
  const repeats = o.repeats ?? 10;
  if (backend === 'browser-wasm' || backend === 'browser-webgpu') {
    if (!ctx.browserLatency) throw new RangeError(`latency_ms on ${backend} needs a browser (archai-ts serve's headless Chromium)`);
    return ctx.browserLatency({ model: name, backend: backend === 'browser-wasm' ? 'wasm' : 'webgpu', batch, repeats });
  }
  const r = await runBench({
    model: name,
    mode: 'eval',
    batch,
    backend,
    warmup: 2,
    steps: repeats,
    replicas: 1,
    numClasses: ctx.config.base.model.num_classes,
  });
  return r.step_ms_median;
}

/** params, macs and (if asked) latency of a point, measured once. */
export async function cheapObjectives(ctx: TrialContext, p: Point): Promise<Cheap> {
  const known = ctx.state.cheap[p.name];
  const lat = ctx.config.search.objectives.find((o) => o.name === 'latency_ms');
  if (known && (!lat || known.latency_ms !== undefined)) return known;
  const info = known ?? modelInfo(p.name, { numClasses: ctx.config.base.model.num_classes });
  const cheap: Cheap = { params: info.params, macs: info.macs };
  if (lat) cheap.latency_ms = await latency(ctx, p.name, lat);
  ctx.state.cheap[p.name] = cheap;
  await writeState(ctx.dir, ctx.state);
  return cheap;
}

/** Whether the point meets every bound that can be checked without training. */
export async function feasible(ctx: TrialContext, p: Point): Promise<boolean> {
  const bounded = ctx.config.search.objectives.filter(
    (o) => (o.max !== undefined || o.min !== undefined) && o.name in { params: 1, macs: 1, latency_ms: 1 },
  );
  if (!bounded.length) return true;
  const cheap = await cheapObjectives(ctx, p);
  return bounded.every((o) => withinBounds(o, cheap[o.name as keyof Cheap]!));
}

function row(p: Point, budget: number | null, cheap: Cheap, history: EpochMetrics[]): TrialRow {
  const at = budget === null ? null : history[budget - 1]!;
  const values: Record<string, number> = { params: cheap.params, macs: cheap.macs };
  if (cheap.latency_ms !== undefined) values.latency_ms = cheap.latency_ms;
  if (at?.val_top1 != null) values.val_top1 = at.val_top1;
  if (at?.val_loss != null) values.val_loss = at.val_loss;
  const choices = Object.entries(p.arch)
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  const seconds = budget === null ? 0 : history.slice(0, budget).reduce((s, m) => s + m.seconds, 0);
  return { name: p.name, family: p.family, choices, budget, values, seconds };
}

/**
 * The rows of `points` at every budget up to `budget`, in order: the points not yet measured that
 * far are trained by the runner (all at once; a run resumes when it exists) and recorded in the
 * state as they finish, in the points' order, so that the state reads the same however the runner
 * ordered them. null budget: cheap objectives only.
 */
export async function evaluatePoints(ctx: TrialContext, points: Point[], budget: number | null, runner: TrialRunner): Promise<TrialRow[]> {
  const budgets = budget === null ? [null] : ctx.config.budgets.filter((b) => b <= budget);
  const seen = new Set<string>();
  const todo = points.filter((p) => !seen.has(p.name) && seen.add(p.name) && !budgets.every((b) => ctx.state.rows[rowKey(p.name, b)]));
  const cheap: Cheap[] = [];
  for (const p of todo) cheap.push(await cheapObjectives(ctx, p));
  const record = (i: number, history: EpochMetrics[]) => {
    for (const r of budgets.map((b) => row(todo[i]!, b, cheap[i]!, history))) {
      if (ctx.state.rows[rowKey(r.name, r.budget)]) continue;
      ctx.state.rows[rowKey(r.name, r.budget)] = r;
      ctx.onTrial?.(r);
    }
  };
  if (budget === null) {
    for (const i of todo.keys()) record(i, []);
    if (todo.length) await writeState(ctx.dir, ctx.state);
  } else if (todo.length) {
    const histories: Array<EpochMetrics[] | undefined> = todo.map(() => undefined);
    let next = 0;
    await runner.run(
      todo.map((p) => ({ name: p.name, budget })),
      {
        signal: ctx.signal,
        onDone: async (i, history) => {
          histories[i] = history;
          for (; next < todo.length && histories[next]; next++) record(next, histories[next]!);
          await writeState(ctx.dir, ctx.state);
        },
      },
    );
  }
  return points.flatMap((p) => budgets.map((b) => ctx.state.rows[rowKey(p.name, b)]!));
}
