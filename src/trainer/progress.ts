import cliProgress from 'cli-progress';
import type { Logger } from 'pino';

export interface StepInfo {
  epoch: number;
  step: number;
  loss: number;
  top1: number;
  lr: number;
  imagesPerSecond: number;
}

/**
 * On a terminal, a bar that moves every step (training and evaluation) with ETA; elsewhere (CI
 * logs, files) a plain log line at each loss reading, so neither gets the other's noise.
 */
export class Progress {
  private bar: cliProgress.SingleBar | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly tty: boolean,
  ) {}

  private open(format: string, total: number, start: number, fields: Record<string, string>): void {
    this.end();
    if (!this.tty) return;
    this.bar = new cliProgress.SingleBar(
      { format, hideCursor: true, clearOnComplete: true, stream: process.stderr, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, start, fields);
  }

  startEpoch(epoch: number, epochs: number, total: number, start: number): void {
    const format = `epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} ETA {eta_formatted} loss {loss} top1 {top1} lr {lr} {ips} img/s`;
    this.open(format, total, start, { loss: '-', top1: '-', lr: '-', ips: '-' });
  }

  startEval(what: string, total: number): void {
    this.open(`${what} [{bar}] {value}/{total} ETA {eta_formatted}`, total, 0, {});
  }

  /** Moves the bar to `done` batches (terminals only). */
  tick(done: number): void {
    this.bar?.update(done);
  }

  /** The losses read so far: into the bar, or one log line. */
  update(done: number, info: StepInfo): void {
    const fields = {
      loss: info.loss.toFixed(4),
      top1: info.top1.toFixed(4),
      lr: info.lr.toPrecision(3),
      ips: info.imagesPerSecond.toFixed(1),
    };
    if (this.bar) this.bar.update(done, fields);
    else
      this.logger.info(
        { epoch: info.epoch + 1, step: info.step, batch: done, ...fields },
        `epoch ${info.epoch + 1} batch ${done}: loss ${fields.loss} top1 ${fields.top1} lr ${fields.lr} ${fields.ips} img/s`,
      );
  }

  end(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
