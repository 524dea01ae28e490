/**
 * The objectives a search may name. Trained ones come from a run's metrics at an epoch budget;
 * cheap ones are known before any training, so a bound on them (a constraint) rules a model out
 * before it costs anything.
 */
export const OBJECTIVES = {
  val_top1: { goal: 'max', trained: true, what: 'validation top-1 after the budget (needs data.val_split)' },
  val_loss: { goal: 'min', trained: true, what: 'validation loss after the budget (needs data.val_split)' },
  params: { goal: 'min', trained: false, what: 'trainable parameters' },
  macs: { goal: 'min', trained: false, what: 'multiply-accumulates for one 32x32 image' },
  latency_ms: { goal: 'min', trained: false, what: 'median eval-mode forward time on a backend' },
} as const;

export type ObjectiveName = keyof typeof OBJECTIVES;
export const OBJECTIVE_NAMES = Object.keys(OBJECTIVES) as ObjectiveName[];

export type Goal = 'min' | 'max';

/** Where latency is measured: a tfjs backend of this process, or a headless browser's. */
export const LATENCY_BACKENDS = ['wasm', 'cpu', 'webgpu', 'tensorflow', 'tensorflow-gpu', 'browser-wasm', 'browser-webgpu'] as const;
export type LatencyBackend = (typeof LATENCY_BACKENDS)[number];

export interface Objective {
  name: ObjectiveName;
  goal: Goal;
  /** A constraint: models above `max` (below `min`) are never trained. */
  max?: number;
  min?: number;
  /** Trained objectives: the epoch budgets, increasing; the last is the schedule's length. */
  budgets?: number[];
  /** latency_ms: where and at which batch size. */
  backend?: LatencyBackend;
  batch?: number;
  repeats?: number;
}

/** Whether `value` satisfies the objective's bounds. */
export function withinBounds(o: Objective, value: number): boolean {
  return (o.max === undefined || value <= o.max) && (o.min === undefined || value >= o.min);
}

export function boundText(o: Objective): string {
  return [o.min !== undefined ? `>= ${o.min}` : '', o.max !== undefined ? `<= ${o.max}` : ''].filter(Boolean).join(' and ');
}
