import type { SourcePosition } from './errors.js';

export type KeyPath = ReadonlyArray<string | number>;

/** The position of a key and of its value; either may be unknown (values from --set, aliases). */
export interface Located {
  key?: SourcePosition;
  value?: SourcePosition;
}

/**
 * A config tree plus where each of its values was written. Merging carries the positions along, so
 * an error in the merged result still points at the file and line that set the offending value.
 */
export interface Layer {
  data: Record<string, unknown>;
  positions: Map<string, Located>;
}

const SEP = '\u0000';

export function pathKey(path: KeyPath): string {
  return path.join(SEP);
}

export function dotted(path: KeyPath): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The position recorded for the path, else for its nearest ancestor that has one. */
export function locate(layer: Layer, path: KeyPath): Located | undefined {
  for (let n = path.length; n >= 0; n--) {
    const found = layer.positions.get(pathKey(path.slice(0, n)));
    if (found) return n === path.length ? found : { value: found.value ?? found.key, key: found.key ?? found.value };
  }
  return undefined;
}

function deleteSubtree(positions: Map<string, Located>, path: KeyPath): void {
  const own = pathKey(path);
  for (const k of positions.keys()) if (k === own || k.startsWith(own + SEP)) positions.delete(k);
}

/**
 * `over` on top of `base`: mappings merge key by key, anything else (scalars, lists, null) replaces
 * whole, so a list in a derived config never interleaves with its base's list.
 */
export function mergeLayers(base: Layer, over: Layer): Layer {
  const positions = new Map(base.positions);
  const merge = (b: Record<string, unknown>, o: Record<string, unknown>, at: Array<string | number>) => {
    const out: Record<string, unknown> = { ...b };
    for (const [k, v] of Object.entries(o)) {
      const path = [...at, k];
      if (isPlainObject(v) && isPlainObject(b[k])) {
        out[k] = merge(b[k], v, path);
      } else {
        deleteSubtree(positions, path);
        out[k] = v;
      }
    }
    return out;
  };
  const data = merge(base.data, over.data, []);
  for (const [k, v] of over.positions) positions.set(k, v);
  return { data, positions };
}

export function emptyLayer(): Layer {
  return { data: {}, positions: new Map() };
}
