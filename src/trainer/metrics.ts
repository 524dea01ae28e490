import { appendFile } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic.js';

/** One line of RUN/metrics.jsonl. Accuracies are fractions in [0, 1]. */
export interface EpochMetrics {
  epoch: number;
  step: number;
  lr: number;
  train_loss: number;
  train_top1: number;
  test_loss: number | null;
  test_top1: number | null;
  test_top5: number | null;
  /** Validation scores (data.val_split), null without a validation split. */
  val_loss: number | null;
  val_top1: number | null;
  val_top5: number | null;
  images_per_s: number;
  seconds: number;
  /** The best epoch so far: by val_top1 with a validation split, else by test_top1. */
  best_epoch: number | null;
  best_val_top1: number | null;
  /** The test top-1 of the best epoch (null when that epoch was not tested). */
  best_test_top1: number | null;
}

/** The keys that depend on the computation only, not on the clock: equal between a run and its resume. */
export const DETERMINISTIC_KEYS = [
  'epoch',
  'step',
  'lr',
  'train_loss',
  'train_top1',
  'test_loss',
  'test_top1',
  'test_top5',
  'val_loss',
  'val_top1',
  'val_top5',
  'best_epoch',
  'best_val_top1',
  'best_test_top1',
] as const;

const CSV_KEYS: Array<keyof EpochMetrics> = [
  'epoch',
  'step',
  'lr',
  'train_loss',
  'train_top1',
  'test_loss',
  'test_top1',
  'test_top5',
  'val_loss',
  'val_top1',
  'val_top5',
  'images_per_s',
  'seconds',
];

export async function appendMetrics(path: string, m: EpochMetrics): Promise<void> {
  await appendFile(path, `${JSON.stringify(m)}\n`);
}

/** metrics.jsonl is rewritten whole from the checkpoint's history on resume, so it never holds epochs the run will redo. */
export async function writeMetricsHistory(path: string, history: EpochMetrics[]): Promise<void> {
  await writeFileAtomic(path, history.map((m) => `${JSON.stringify(m)}\n`).join(''));
}

export async function writeSummaryCsv(path: string, history: EpochMetrics[]): Promise<void> {
  const rows = history.map((m) => CSV_KEYS.map((k) => (m[k] === null ? '' : String(m[k]))).join(','));
  await writeFileAtomic(path, `${[CSV_KEYS.join(','), ...rows].join('\n')}\n`);
}
