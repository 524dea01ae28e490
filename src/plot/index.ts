export { type CurvePoint, type CurveRun, curvesSpec, renderCurvesSvg } from './curves.js';
export { type Objective, type ParetoRow, paretoSpec, renderParetoSvg } from './pareto.js';
export { renderSvg, type VegaLiteSpec } from './render.js';
