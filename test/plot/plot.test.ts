/**
 * Plots rendered for real (vega-lite → vega → SVG in Node) and read back from the SVG text: the series,
 * labels and axis titles a reader needs must be in the picture, and bad run folders give one-line errors.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { UsageError } from '../../cli/errors.js';
import { registerPlot, runLabels } from '../../cli/plot.js';
import { type CurvePoint, renderCurvesSvg, renderParetoSvg } from '../../src/plot/index.js';
import type { EpochMetrics } from '../../src/trainer/metrics.js';

const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-plot-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// vega and vega-lite report spec problems on console.warn; our specs must not have any.
let warn: MockInstance;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn');
});
afterEach(() => {
  expect(warn).not.toHaveBeenCalled();
  warn.mockRestore();
});

/** The line paths of the SVG: which run and split each draws (from its first point's label), its vertices and pieces. */
function linePaths(svg: string): Array<{ series: string; vertices: number; pieces: number }> {
  const paths = [...svg.matchAll(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="line mark" d="([^"]*)"/g)];
  return paths.map(([, label, d]) => ({
    series: `${/run: ([^;]*)/.exec(label!)![1]}/${/split: ([^;]*)/.exec(label!)![1]}`,
    vertices: (d!.match(/[ML]/g) ?? []).length,
    pieces: (d!.match(/M/g) ?? []).length,
  }));
}

/** The text of the text marks (not axis or legend labels). */
function textMarks(svg: string): string[] {
  return [...svg.matchAll(/aria-roledescription="text mark"[^>]*>([^<]*)</g)].map((m) => m[1]!);
}

function history(epochs: number, offset: number, extra: (e: number) => Partial<CurvePoint>): CurvePoint[] {
  return Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    train_loss: 2 / (i + 1) + offset,
    train_top1: 0.9 - 0.8 / (i + 1),
    ...extra(i + 1),
  }));
}

describe('curves', () => {
  it('draws loss and top-1 panels with one path per run and split, skipping null points', async () => {
    // alpha: test only every other epoch (null between); beta: a val split and no test keys at all.
    const alpha = history(6, 0, (e) => ({ test_loss: e % 2 === 0 ? 2.5 / e : null, test_top1: e % 2 === 0 ? 0.7 : null }));
    const beta = history(6, 0.3, (e) => ({ val_loss: 2.2 / e, val_top1: 0.6 + e / 20 }));
    const svg = await renderCurvesSvg([
      { label: 'alpha', history: alpha },
      { label: 'beta', history: beta },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const text of ['alpha', 'beta', 'loss', 'top-1 accuracy', 'epoch', 'Loss', 'Top-1 accuracy', 'train', 'val', 'test', '100%']) {
      expect(svg, text).toContain(`>${text}</text>`);
    }
    const paths = linePaths(svg);
    // Two panels, each with alpha/train, alpha/test, beta/train, beta/val; no empty beta/test line.
    expect(paths.map((p) => p.series).sort()).toEqual(
      ['alpha/test', 'alpha/train', 'beta/train', 'beta/val'].flatMap((s) => [s, s]).sort(),
    );
    for (const p of paths) expect(p.vertices, p.series).toBe(p.series === 'alpha/test' ? 3 : 6);
    // Epochs without evaluation are skipped, not gaps: every series is one unbroken line.
    for (const p of paths) expect(p.pieces, p.series).toBe(1);
    // Line style per split: train, val and test lines differ in dashes.
    const dashes = [...svg.matchAll(/aria-roledescription="line mark"[^>]*stroke-dasharray="([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(dashes).size).toBe(3);
  });

  it('shows only the splits the runs have', async () => {
    const svg = await renderCurvesSvg([{ label: 'only_train', history: history(3, 0, () => ({ test_loss: null, test_top1: null })) }]);
    expect(svg).toContain('>train</text>');
    expect(svg).not.toContain('>val</text>');
    expect(svg).not.toContain('>test</text>');
    expect(linePaths(svg).map((p) => p.series)).toEqual(['only_train/train', 'only_train/train']);
  });

  it('refuses two runs with one label (they would share a colour)', () => {
    const h = history(2, 0, () => ({}));
    expect(() =>
      renderCurvesSvg([
        { label: 'x', history: h },
        { label: 'x', history: h },
      ]),
    ).toThrow(/two runs are labelled 'x'/);
  });
});

describe('pareto', () => {
  const rows = [
    { name: 'net_a', val_top1: 0.9, 'latency.ms': 3, params: 5, is_pareto: true },
    { name: 'net_b', val_top1: 0.8, 'latency.ms': 1, params: 2, is_pareto: true },
    { name: 'net_c', val_top1: 0.7, 'latency.ms': 4, params: 4, is_pareto: false },
    { name: 'net_d', val_top1: 0.95, 'latency.ms': 6, params: 9, is_pareto: true },
    { name: 'net_e', val_top1: 0.6, 'latency.ms': 5, params: 8, is_pareto: false },
  ];

  it('labels exactly the frontier in every pair panel and names each goal on its axis', async () => {
    // 'latency.ms' would be read as a nested field if names were not escaped: its points would vanish.
    const objectives = [
      { name: 'val_top1', goal: 'max' as const },
      { name: 'latency.ms', goal: 'min' as const },
      { name: 'params', goal: 'min' as const },
    ];
    const svg = await renderParetoSvg(rows, objectives);
    expect(svg.startsWith('<svg')).toBe(true);
    const labels = textMarks(svg);
    expect(labels.sort()).toEqual(['net_a', 'net_b', 'net_d'].flatMap((n) => [n, n, n]).sort());
    expect(svg).not.toContain('net_c');
    expect(svg).not.toContain('net_e');
    for (const title of ['val_top1 (max)', 'latency.ms (min)', 'params (min)']) expect(svg).toContain(`>${title}</text>`);
    // Every candidate is drawn in each of the 3 panels; the frontier is joined by one line per panel.
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(3 * rows.length);
    const frontierLines = [...svg.matchAll(/aria-roledescription="line mark" d="([^"]*)"/g)];
    expect(frontierLines).toHaveLength(3);
    for (const [, d] of frontierLines) expect(d!.match(/[ML]/g)).toHaveLength(3);
  });

  it('draws one objective as a bar per row', async () => {
    const svg = await renderParetoSvg(rows, [{ name: 'val_top1', goal: 'max' }]);
    expect(svg.match(/aria-roledescription="bar"/g)).toHaveLength(rows.length);
    for (const r of rows) expect(svg).toContain(`>${r.name}</text>`);
    expect(svg).toContain('>val_top1 (max)</text>');
  });
});

describe('archai-ts plot', () => {
  let out: MockInstance;
  beforeEach(() => {
    out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => out.mockRestore());

  const plot = (...args: string[]) => {
    const program = new Command('archai-ts').exitOverride();
    registerPlot(program);
    return program.parseAsync(['node', 'archai-ts', 'plot', ...args]);
  };

  function runFolder(name: string, lines: string[]): string {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'metrics.jsonl'), lines.map((l) => `${l}\n`).join(''));
    return dir;
  }

  const epoch = (e: number, evaluated: boolean): EpochMetrics => ({
    epoch: e,
    step: e * 10,
    lr: 0.1,
    train_loss: 2 / e,
    train_top1: 0.5 + e / 10,
    test_loss: evaluated ? 2.4 / e : null,
    test_top1: evaluated ? 0.4 + e / 10 : null,
    test_top5: null,
    // No validation split: null val scores must draw no val line.
    val_loss: null,
    val_top1: null,
    val_top5: null,
    images_per_s: 1000,
    seconds: 1,
    best_epoch: null,
    best_val_top1: null,
    best_test_top1: null,
  });

  it('writes RUN/curves.svg for a run folder and prints its path', async () => {
    const run = runFolder(
      'run_one',
      [1, 2, 3].map((e) => JSON.stringify(epoch(e, e !== 2))),
    );
    await plot(run);
    const file = join(run, 'curves.svg');
    expect(out).toHaveBeenCalledWith(`${file}\n`);
    const svg = readFileSync(file, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('>run_one</text>');
    expect(
      linePaths(svg)
        .map((p) => p.series)
        .sort(),
    ).toEqual(['run_one/test', 'run_one/test', 'run_one/train', 'run_one/train']);
  });

  it('names runs of one folder name by their parent too, and writes --out', async () => {
    const a = runFolder('a/seed0', [JSON.stringify(epoch(1, true))]);
    const b = runFolder('b/seed0', [JSON.stringify(epoch(1, true))]);
    const file = join(tmp, 'new_folder', 'both.svg');
    await plot(a, b, '--out', file);
    const svg = readFileSync(file, 'utf8');
    expect(svg).toContain('>a/seed0</text>');
    expect(svg).toContain('>b/seed0</text>');
    expect(runLabels(['x/run', 'y/run', 'z/other', 'z/other'])).toEqual([
      'x/run',
      'y/run',
      expect.stringMatching(/z\/other$/),
      expect.stringMatching(/z\/other \(2\)$/),
    ]);
  });

  it('rejects a folder without metrics.jsonl, a missing folder and a torn line with one line naming the path', async () => {
    const empty = join(tmp, 'not_a_run');
    mkdirSync(empty);
    const torn = runFolder('torn', [JSON.stringify(epoch(1, true)), '{"epoch": 2, "train_lo']);
    const cases: Array<[string, RegExp]> = [
      [empty, /not_a_run\/metrics\.jsonl not found/],
      [join(tmp, 'nowhere'), /nowhere does not exist/],
      [torn, /torn\/metrics\.jsonl line 2 is not valid JSON; fix or delete that line/],
    ];
    for (const [run, message] of cases) {
      const error = await plot(run).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
    expect(existsSync(join(empty, 'curves.svg'))).toBe(false);
  });
});
