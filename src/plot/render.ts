/**
 * The one place that runs Vega: a Vega-Lite spec compiled and rendered to an SVG string in Node,
 * with no browser and no canvas package (the 'none' renderer only builds the scene graph).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A complete Vega-Lite picture, as `renderSvg` takes it. */
export type VegaLiteSpec = TopLevelSpec;

/** One panel or layer inside a concat: vega-lite's own type, reached through the public TopLevelSpec. */
export type VegaLiteSubSpec = Extract<VegaLiteSpec, { concat: unknown }>['concat'][number];

/** The SVG document of `spec`. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    // A View keeps timers and listeners; free them so many renders in one process do not pile up.
    view.finalize();
  }
}

/** A field name as Vega-Lite reads it: '.' and '[]' would otherwise mean nested access. */
export function fieldRef(name: string): string {
  return name.replace(/[.[\]\\]/g, (c) => `\\${c}`);
}
