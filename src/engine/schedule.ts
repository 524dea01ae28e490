/** The schedules learningRate knows; config/schema.ts documents each. */
export const SCHEDULE_TYPES = ['cosine', 'step', 'multistep', 'linear', 'onecycle', 'constant'] as const;

/** A schedule with every field resolved (the config's trainer.schedule section). */
export interface ScheduleConfig {
  type: (typeof SCHEDULE_TYPES)[number];
  interval: 'step' | 'epoch';
  warmup_epochs: number;
  warmup_multiplier: number;
  min_lr: number;
  step_size: number;
  gamma: number;
  milestones: number[];
  end_lr: number;
  max_lr?: number;
  pct_start: number;
}

export interface ScheduleContext {
  schedule: ScheduleConfig;
  /** The optimizer's base learning rate. */
  lr: number;
  epochs: number;
  stepsPerEpoch: number;
}

/**
 * The learning rate of optimizer step `step` (0-based): a pure function of the step, so a resumed
 * run needs no scheduler state. Positions are in epochs: fractional when the rate changes every
 * step (the paper), whole when it changes at each epoch's start (archai).
 */
export function learningRate(step: number, ctx: ScheduleContext): number {
  const s = ctx.schedule;
  const perStep = s.interval === 'step';
  const position = perStep ? step / ctx.stepsPerEpoch : Math.floor(step / ctx.stepsPerEpoch);
  const unit = perStep ? 1 / ctx.stepsPerEpoch : 1;
  const w = s.warmup_epochs;
  const m = s.warmup_multiplier;
  if (position < w) {
    // archai's GradualWarmupScheduler: m > 1 rises from lr to lr·m starting at lr; m = 1 rises from
    // 0 to lr, counted so the first update already moves (archai's would take a zero-lr epoch).
    return m > 1 ? ctx.lr * (1 + ((m - 1) * position) / w) : (ctx.lr * (position + unit)) / w;
  }
  const peak = ctx.lr * m;
  const t = position - w;
  const span = ctx.epochs - w;
  switch (s.type) {
    case 'constant':
      return peak;
    case 'cosine':
      return s.min_lr + ((peak - s.min_lr) * (1 + Math.cos((Math.PI * Math.min(t, span)) / span))) / 2;
    case 'step':
      return peak * s.gamma ** Math.floor(t / s.step_size);
    case 'multistep':
      return peak * s.gamma ** s.milestones.filter((e) => e <= t).length;
    case 'linear':
      return peak + ((s.end_lr - peak) * Math.min(t, span)) / span;
    case 'onecycle':
      return oneCycle(t / span, s.max_lr ?? peak, s.pct_start);
  }
}

/** PyTorch's OneCycleLR with cosine annealing (div_factor 25, final_div_factor 1e4), over u in [0, 1]. */
function oneCycle(u: number, maxLr: number, pctStart: number): number {
  const initial = maxLr / 25;
  const final = initial / 1e4;
  const cos = (from: number, to: number, f: number) => to + ((from - to) * (1 + Math.cos(Math.PI * Math.min(Math.max(f, 0), 1)))) / 2;
  return u < pctStart ? cos(initial, maxLr, u / pctStart) : cos(maxLr, final, (u - pctStart) / (1 - pctStart));
}
