import cliProgress from 'cli-progress';
import type { Logger } from 'pino';

/**
 * A progress bar on a terminal, periodic plain log lines elsewhere (CI logs, files), so neither
 * gets the other's noise.
 */
export class Progress {
  private bar: cliProgress.SingleBar | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly tty: boolean,
  ) {}

  startEpoch(epoch: number, epochs: number, total: number, start: number): void {
    if (!this.tty) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} loss {loss} top1 {top1} lr {lr} {ips} img/s`,
        hideCursor: true,
        clearOnComplete: true,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, start, { loss: '-', top1: '-', lr: '-', ips: '-' });
  }

  update(done: number, info: { epoch: number; step: number; loss: number; top1: number; lr: number; imagesPerSecond: number }): void {
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

  endEpoch(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
