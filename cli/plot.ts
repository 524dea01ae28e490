/**
 * `archai-ts plot RUN...`: the loss and top-1 curves of training runs, from their metrics.jsonl, as one SVG.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { type CurvePoint, type CurveRun, renderCurvesSvg } from '../src/plot/index.js';
import { UsageError } from './errors.js';

const REQUIRED = ['epoch', 'train_loss', 'train_top1'] as const;
const OPTIONAL = ['test_loss', 'test_top1', 'val_loss', 'val_top1'] as const;

/** One line of metrics.jsonl as a curve point, or a UsageError naming the file and line. */
function parseLine(line: string, file: string, n: number): CurvePoint {
  const fix = 'fix or delete that line (a run killed mid-write can leave a torn last line)';
  if (line.trim() === '') throw new UsageError(`${file} line ${n} is empty; ${fix}`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new UsageError(`${file} line ${n} is not valid JSON; ${fix}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`${file} line ${n} is not a JSON object; ${fix}`);
  const m = value as Record<string, unknown>;
  const point: Record<string, number | null> = {};
  for (const key of REQUIRED) {
    if (typeof m[key] !== 'number') throw new UsageError(`${file} line ${n} has no numeric '${key}'; ${fix}`);
    point[key] = m[key];
  }
  for (const key of OPTIONAL) {
    if (m[key] === undefined) continue;
    if (m[key] !== null && typeof m[key] !== 'number') throw new UsageError(`${file} line ${n}: '${key}' must be a number or null; ${fix}`);
    point[key] = m[key];
  }
  return point as unknown as CurvePoint;
}

/** The epochs of the run in folder `run`; every way the folder can be wrong is a one-line UsageError. */
export async function readRunHistory(run: string): Promise<CurvePoint[]> {
  const hint = "pass a run folder that 'archai-ts train' wrote";
  const info = await stat(run).catch(() => null);
  if (!info) throw new UsageError(`run folder ${run} does not exist; ${hint}`);
  if (!info.isDirectory()) throw new UsageError(`${run} is not a folder; ${hint}`);
  const file = join(run, 'metrics.jsonl');
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) throw new UsageError(`${file} not found: ${run} is not a run folder or has not finished an epoch yet; ${hint}`);
  if (text === '') throw new UsageError(`${file} is empty: the run has not finished an epoch yet; plot it after the first epoch`);
  // Every line ends with '\n', so the piece after the last one is empty; any other empty line is damage.
  const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  return lines.map((line, i) => parseLine(line, file, i + 1));
}

/** Each run named by its folder; folders of one name get their parent's name too, then their full path. */
export function runLabels(runs: string[]): string[] {
  const full = runs.map((r) => resolve(r));
  const short = full.map((p) => basename(p));
  const labels = full.map((p, i) => {
    if (short.filter((s) => s === short[i]).length === 1) return short[i]!;
    const withParent = join(basename(dirname(p)), short[i]!);
    const clash = full.some((q, j) => j !== i && join(basename(dirname(q)), short[j]!) === withParent);
    return clash ? p : withParent;
  });
  // The same folder given twice: number the repeats so each still gets its own colour.
  return labels.map((l, i) => {
    const before = labels.slice(0, i).filter((x) => x === l).length;
    return before === 0 ? l : `${l} (${before + 1})`;
  });
}

export function registerPlot(program: Command): void {
  program
    .command('plot')
    .description('loss and top-1 accuracy curves of training runs as an SVG picture')
    .argument('<run...>', 'run folders, each with the metrics.jsonl training wrote')
    .option('--out <file>', 'SVG file to write (default: RUN/curves.svg for one run, ./curves.svg for several)')
    .action(async (runs: string[], opts: { out?: string }) => {
      const histories = await Promise.all(runs.map(readRunHistory));
      const labels = runLabels(runs);
      const curves: CurveRun[] = runs.map((_, i) => ({ label: labels[i]!, history: histories[i]! }));
      const svg = await renderCurvesSvg(curves);
      const out = opts.out ?? (runs.length === 1 ? join(runs[0]!, 'curves.svg') : 'curves.svg');
      try {
        await mkdir(dirname(out), { recursive: true });
        await writeFile(out, svg);
      } catch (e) {
        throw new UsageError(`cannot write ${out} (${(e as NodeJS.ErrnoException).code ?? String(e)}); pass --out a writable .svg path`);
      }
      process.stdout.write(`${out}\n`);
    });
}
