/**
 * Training curves: loss and top-1 accuracy per epoch, side by side, one colour per run and one line
 * style per split (train / val / test).
 */
import { renderSvg, type VegaLiteSpec, type VegaLiteSubSpec } from './render.js';

/** One epoch of a run, as a line of its metrics.jsonl holds it. Accuracies are fractions in [0, 1]. */
export interface CurvePoint {
  epoch: number;
  train_loss: number;
  train_top1: number;
  test_loss?: number | null;
  test_top1?: number | null;
  val_loss?: number | null;
  val_top1?: number | null;
}

export interface CurveRun {
  label: string;
  history: CurvePoint[];
}

const SPLITS = ['train', 'val', 'test'] as const;
type Split = (typeof SPLITS)[number];

/** Solid for train, dashed for val, dotted for test: the same split reads the same in every run. */
const DASHES: Record<Split, number[]> = { train: [1, 0], val: [6, 3], test: [2, 2] };

/** Up to this many epochs a point marks each one, so short runs (even one epoch) stay visible. */
const MAX_EPOCHS_WITH_POINTS = 30;

interface Row {
  run: string;
  split: Split;
  epoch: number;
  metric: 'loss' | 'top1';
  value: number;
}

/**
 * The long table Vega-Lite draws from. Missing and null values are left out: Vega-Lite would break a line
 * at a null, and a test curve evaluated every few epochs would fall apart into isolated dots.
 */
function curveRows(runs: CurveRun[]): Row[] {
  const rows: Row[] = [];
  for (const { label, history } of runs) {
    for (const p of history) {
      for (const split of SPLITS) {
        for (const metric of ['loss', 'top1'] as const) {
          const value = p[`${split}_${metric}`];
          if (typeof value === 'number' && Number.isFinite(value)) rows.push({ run: label, split, epoch: p.epoch, metric, value });
        }
      }
    }
  }
  return rows;
}

function panel(metric: Row['metric'], runs: string[], splits: Split[], points: boolean): VegaLiteSubSpec {
  const top1 = metric === 'top1';
  return {
    title: top1 ? 'Top-1 accuracy' : 'Loss',
    width: 360,
    height: 240,
    transform: [{ filter: { field: 'metric', equal: metric } }],
    mark: { type: 'line', point: points, strokeWidth: 1.8 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: top1
        ? { field: 'value', type: 'quantitative', title: 'top-1 accuracy', scale: { domain: [0, 1] }, axis: { format: '%' } }
        : { field: 'value', type: 'quantitative', title: 'loss', scale: { zero: false } },
      color: { field: 'run', type: 'nominal', title: 'run', scale: { domain: runs } },
      strokeDash: {
        field: 'split',
        type: 'nominal',
        title: 'split',
        // A stroke, not the point marker, so the legend shows each split's dash pattern.
        legend: {
          symbolType: 'stroke',
          symbolStrokeWidth: 2,
          symbolSize: 300,
          // With point markers vega-lite gives these symbols a black fill and no stroke: dashes would not show.
          symbolStrokeColor: '#444',
          symbolFillColor: 'transparent',
        },
        scale: { domain: splits, range: splits.map((s) => DASHES[s]) },
      },
      // One line per run and split, in epoch order.
      detail: [{ field: 'run' }, { field: 'split' }],
      order: { field: 'epoch', type: 'quantitative' },
    },
  };
}

/** The Vega-Lite spec of the curves of `runs` (labels must differ: they name the colours). */
export function curvesSpec(runs: CurveRun[]): VegaLiteSpec {
  if (runs.length === 0) throw new Error('curvesSpec: no runs to plot');
  const labels = runs.map((r) => r.label);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice !== undefined) throw new Error(`curvesSpec: two runs are labelled '${twice}'; give each run its own label`);
  const rows = curveRows(runs);
  // Only the splits some run has get a legend entry (most runs have no val split).
  const splits = SPLITS.filter((s) => rows.some((r) => r.split === s));
  const points = Math.max(0, ...runs.map((r) => r.history.length)) <= MAX_EPOCHS_WITH_POINTS;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: runs.length === 1 ? `Training curves: ${labels[0]}` : 'Training curves', anchor: 'start' },
    data: { values: rows },
    hconcat: [panel('loss', labels, splits, points), panel('top1', labels, splits, points)],
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelLimit: 280 } },
  };
}

/** The curves of `runs` as an SVG document. */
export function renderCurvesSvg(runs: CurveRun[]): Promise<string> {
  return renderSvg(curvesSpec(runs));
}
