/**
 * Pareto pictures of a search: one scatter panel per pair of objectives with every candidate, the
 * frontier (rows with `is_pareto === true`) highlighted, named and joined along the x objective.
 */
import { fieldRef, renderSvg, type VegaLiteSpec, type VegaLiteSubSpec } from './render.js';

export type ParetoRow = Record<string, number | string | boolean>;

export interface Objective {
  name: string;
  goal: 'min' | 'max';
}

/** The field the status lands in; the leading underscore keeps it clear of user columns. */
const STATUS = '_pareto_status';
const FRONTIER = 'Pareto frontier';
const DOMINATED = 'dominated';
const STATUS_COLOR = {
  field: STATUS,
  type: 'nominal',
  title: null,
  scale: { domain: [FRONTIER, DOMINATED], range: ['#d62728', '#9e9e9e'] },
} as const;
const ON_FRONTIER = { field: 'is_pareto', equal: true } as const;

const title = (o: Objective): string => `${o.name} (${o.goal})`;

/**
 * A quantitative axis of an objective: zero is left out so the spread of candidates fills the panel, and
 * some padding keeps the extreme points (often frontier ends) and their labels off the axes.
 */
function axisOf(o: Objective) {
  return { field: fieldRef(o.name), type: 'quantitative', title: title(o), scale: { zero: false, padding: 14 } } as const;
}

function pairPanel(x: Objective, y: Objective, labelKey: string): VegaLiteSubSpec {
  const position = { x: axisOf(x), y: axisOf(y) };
  return {
    width: 300,
    height: 240,
    layer: [
      {
        transform: [{ filter: { not: ON_FRONTIER } }],
        mark: { type: 'point', filled: true, size: 30 },
        encoding: { ...position, color: STATUS_COLOR },
      },
      {
        transform: [{ filter: ON_FRONTIER }],
        mark: { type: 'line', color: '#d62728', strokeWidth: 1.2, opacity: 0.7 },
        encoding: { ...position, order: { field: fieldRef(x.name), type: 'quantitative' } },
      },
      {
        transform: [{ filter: ON_FRONTIER }],
        mark: { type: 'point', filled: true, size: 90 },
        encoding: { ...position, color: STATUS_COLOR },
      },
      {
        transform: [{ filter: ON_FRONTIER }],
        mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 10 },
        encoding: { ...position, text: { field: fieldRef(labelKey), type: 'nominal' } },
      },
    ],
  };
}

/** One objective: a bar per row, best first, so the frontier (its best rows) reads at a glance. */
function stripPanel(o: Objective, labelKey: string): VegaLiteSubSpec {
  return {
    width: { step: 18 },
    height: 240,
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: fieldRef(labelKey),
        type: 'nominal',
        title: labelKey,
        sort: { field: fieldRef(o.name), order: o.goal === 'max' ? 'descending' : 'ascending' },
      },
      y: { field: fieldRef(o.name), type: 'quantitative', title: title(o) },
      color: STATUS_COLOR,
    },
  };
}

/** Every unordered pair of objectives, in the order given. */
function pairs<T>(items: T[]): Array<[T, T]> {
  return items.flatMap((a, i) => items.slice(i + 1).map((b): [T, T] => [a, b]));
}

/** The Vega-Lite spec of the Pareto panels of `rows` over `objectives`; `labelKey` names each row. */
export function paretoSpec(rows: ParetoRow[], objectives: Objective[], labelKey = 'name'): VegaLiteSpec {
  if (objectives.length === 0) throw new Error('paretoSpec: give at least one objective');
  const panels =
    objectives.length === 1 ? [stripPanel(objectives[0]!, labelKey)] : pairs(objectives).map(([x, y]) => pairPanel(x, y, labelKey));
  const onFrontier = rows.filter((r) => r['is_pareto'] === true).length;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Pareto frontier', subtitle: `${onFrontier} of ${rows.length} candidates on the frontier`, anchor: 'start' },
    data: { values: rows },
    transform: [{ calculate: `datum.is_pareto === true ? '${FRONTIER}' : '${DOMINATED}'`, as: STATUS }],
    concat: panels,
    columns: Math.min(panels.length, 3),
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 } },
  };
}

/** The Pareto panels as an SVG document. */
export function renderParetoSvg(rows: ParetoRow[], objectives: Objective[], labelKey = 'name'): Promise<string> {
  return renderSvg(paretoSpec(rows, objectives, labelKey));
}
