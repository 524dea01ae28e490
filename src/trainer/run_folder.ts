/**
 * RUN/: config.yaml, metrics.jsonl, summary.csv, log.jsonl and checkpoints/, written by one process
 * at a time (RUN/.lock). Every file-system failure is a RunFolderError naming the path.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { renderCurvesSvg } from '../plot/index.js';
import { CheckpointDir } from './checkpoint.js';
import type { Logger } from './logger.js';
import { appendMetrics, type EpochMetrics, writeMetricsHistory, writeSummaryCsv } from './metrics.js';
import { onDisk, RunFolderError } from './run_folder_error.js';
import { lockRunFolder, type RunLock } from './run_lock.js';

/** Temp files of atomic writes (io/atomic.ts): `NAME.tmp-PID-HEX`. */
const TEMP_FILE = /\.tmp-\d+-[0-9a-f]+$/;

export class RunFolder {
  readonly checkpoints: CheckpointDir;

  private constructor(
    readonly dir: string,
    keepCheckpoints: number,
    private readonly lock: RunLock,
  ) {
    this.checkpoints = new CheckpointDir(join(dir, 'checkpoints'), keepCheckpoints);
  }

  /**
   * Opens RUN for writing: makes it when `create` (else it must exist), takes its lock and removes
   * the temp files of writers that died mid-write (holding the lock, no live writer has any).
   */
  static async open(
    dir: string,
    options: { create: boolean; keepCheckpoints: number; log: Logger; takeOverOtherHosts?: boolean },
  ): Promise<RunFolder> {
    if (!options.create && !existsSync(dir))
      throw new RunFolderError(`${dir}: no such run folder; pass a folder made by 'archai-ts train'`);
    await onDisk('create the run folder', dir, () => mkdir(join(dir, 'checkpoints'), { recursive: true }));
    const lock = await lockRunFolder(dir, (m) => options.log.warn(m), { takeOverOtherHosts: options.takeOverOtherHosts });
    try {
      for (const d of [dir, join(dir, 'checkpoints')]) {
        const stale = (await onDisk('read', d, () => readdir(d))).filter((f) => TEMP_FILE.test(f));
        for (const f of stale) await onDisk('remove the temp file', join(d, f), () => unlink(join(d, f)));
        if (stale.length) options.log.info({ removed: stale }, `${d}: removed ${stale.length} temp file(s) of an interrupted write`);
      }
    } catch (e) {
      await lock.release();
      throw e;
    }
    return new RunFolder(dir, options.keepCheckpoints, lock);
  }

  get logFile(): string {
    return join(this.dir, 'log.jsonl');
  }

  async hasConfig(): Promise<boolean> {
    return existsSync(join(this.dir, 'config.yaml'));
  }

  async hasCheckpoint(): Promise<boolean> {
    return (await this.checkpoints.list()).length > 0;
  }

  async writeConfig(text: string): Promise<void> {
    const path = join(this.dir, 'config.yaml');
    await onDisk('write', path, () => writeFileAtomic(path, text));
  }

  /** metrics.jsonl and summary.csv as of `history` (a resume drops epochs the run will redo). */
  async writeHistory(history: EpochMetrics[]): Promise<void> {
    await onDisk('write', join(this.dir, 'metrics.jsonl'), () => writeMetricsHistory(join(this.dir, 'metrics.jsonl'), history));
    await onDisk('write', join(this.dir, 'summary.csv'), () => writeSummaryCsv(join(this.dir, 'summary.csv'), history));
  }

  async appendEpoch(metrics: EpochMetrics, history: EpochMetrics[]): Promise<void> {
    await onDisk('write', join(this.dir, 'metrics.jsonl'), () => appendMetrics(join(this.dir, 'metrics.jsonl'), metrics));
    await onDisk('write', join(this.dir, 'summary.csv'), () => writeSummaryCsv(join(this.dir, 'summary.csv'), history));
  }

  /** RUN/curves.svg: loss and top-1 by epoch of the run so far. */
  async writeCurves(history: EpochMetrics[]): Promise<void> {
    if (history.length === 0) return;
    const svg = await renderCurvesSvg([{ label: basename(this.dir), history }]);
    const path = join(this.dir, 'curves.svg');
    await onDisk('write', path, () => writeFileAtomic(path, svg));
  }

  async close(): Promise<void> {
    await this.lock.release();
  }
}
