import { createWriteStream } from 'node:fs';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * JSON lines to RUN/log.jsonl (the record), readable lines on stderr (for people). pino-pretty runs
 * in-process: a transport thread could drop the last lines when the trainer exits on a signal.
 */
export function createRunLogger(logFile: string | null, options: { quiet?: boolean; level?: string } = {}): Logger {
  const streams: pino.StreamEntry[] = [];
  if (logFile) streams.push({ level: 'debug', stream: createWriteStream(logFile, { flags: 'a' }) });
  if (!options.quiet) {
    streams.push({
      level: 'info',
      stream: pretty({
        destination: 2,
        sync: true,
        colorize: process.stderr.isTTY ?? false,
        hideObject: true,
        ignore: 'pid,hostname',
        translateTime: 'SYS:HH:MM:ss',
      }),
    });
  }
  return pino({ level: options.level ?? 'debug', base: undefined }, pino.multistream(streams));
}

/** A logger that drops everything, for library calls that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
