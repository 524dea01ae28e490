/**
 * The shape of the code: folders of src/ in layers that point one way, and no import cycles between
 * files or between folders. Read from the sources' own import statements (type-only ones included).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * Top to bottom: a folder may import only from folders after it. Folders on one line are on one level
 * and must not import each other. The root files of src/ (index.ts, browser.ts, tf.ts) are their own entries.
 */
const LAYERS: string[][] = [
  ['cli'],
  ['queue'],
  ['search'],
  ['bench', 'serve'],
  ['trainer'],
  ['parallel'],
  ['config'],
  ['engine', 'plot'],
  ['data', 'registry'],
  ['models'],
  ['nn'],
  ['backend'],
  ['io'],
  ['util'],
  ['tf.ts'],
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every file of src/ and cli/ with the files of the package it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'cli'))]) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = info.importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
    graph.set(relative(ROOT, file), [...new Set(deps.map((d) => relative(ROOT, d)))]);
  }
  return graph;
}

/** The unit a file belongs to: its top folder under src/ (or cli), or the root file itself. */
function unitOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'cli') return 'cli';
  return parts[1]!;
}

/** One cycle of the graph, as a path, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of graph.keys()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return null;
}

describe('the import graph', () => {
  const graph = importGraph();

  it('reads something', () => {
    expect(graph.size).toBeGreaterThan(50);
  });

  it('has no file cycles', () => {
    expect(findCycle(graph)).toBeNull();
  });

  it('has no folder cycles', () => {
    const folders = new Map<string, string[]>();
    for (const [file, deps] of graph) {
      const from = unitOf(file);
      const set = new Set(folders.get(from) ?? []);
      for (const d of deps) if (unitOf(d) !== from) set.add(unitOf(d));
      folders.set(from, [...set]);
    }
    expect(findCycle(folders)).toBeNull();
  });

  it('points one way: each folder imports only from the layers below it', () => {
    const level = new Map<string, number>();
    LAYERS.forEach((units, i) => {
      for (const u of units) level.set(u, i);
    });
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const from = unitOf(file);
      if (from === 'index.ts' || from === 'browser.ts') continue;
      const lf = level.get(from);
      if (lf === undefined) {
        wrong.push(`${file}: folder '${from}' has no layer in LAYERS`);
        continue;
      }
      for (const d of deps) {
        const to = unitOf(d);
        if (to === from) continue;
        const lt = level.get(to);
        if (lt === undefined || lt <= lf) wrong.push(`${file} (${from}) imports ${d} (${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
