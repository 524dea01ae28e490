import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { configError, type SourcePosition } from './errors.js';
import { isPlainObject, pathKey, type Layer, type Located } from './layer.js';

/** Parses one config text into a layer, recording where every key and value was written. */
export function parseYamlLayer(text: string, source: string): Layer {
  const lineCounter = new LineCounter();
  // merge: true accepts `<<: *base` merge keys, which hand-written configs use to share blocks.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): SourcePosition => {
    if (offset === undefined) return { source };
    const { line, col } = lineCounter.linePos(offset);
    return { source, line, col };
  };
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const fix = err.code === 'DUPLICATE_KEY' ? '; remove or rename one of the two' : '; fix the YAML syntax there';
    throw configError(at(err.pos[0]), undefined, `invalid YAML: ${err.message.split('\n')[0].replace(/\s+at line.*$/, '')}${fix}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (e) {
    // Alias bombs and similar only surface when the tree is built.
    throw configError({ source }, undefined, `invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isPlainObject(data)) {
    throw configError(
      at(doc.contents?.range?.[0]),
      undefined,
      'expected a mapping of keys (seed:, model:, data:, trainer:) at the top level',
    );
  }
  const positions = new Map<string, Located>([[pathKey([]), { value: { source } }]]);
  const walk = (node: unknown, path: Array<string | number>) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key) || pair.key.value === '<<') continue;
        const child = [...path, String(pair.key.value)];
        const value = pair.value as Node | null;
        const keyPos = at(pair.key.range?.[0]);
        positions.set(pathKey(child), { key: keyPos, value: value && !isAlias(value) ? at(value.range?.[0]) : keyPos });
        walk(value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const pos = at((item as Node | null)?.range?.[0]);
        positions.set(pathKey([...path, i]), { key: pos, value: pos });
        walk(item, [...path, i]);
      });
    }
  };
  walk(doc.contents, []);
  return { data, positions };
}
