import { createWriteStream } from 'node:fs';
import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

const multistreams = new WeakMap<Logger, pino.MultiStreamRes>();

/**
 * Readable lines on stderr (for people) and, from logToFile on, JSON lines to RUN/log.jsonl (the
 * record). pino-pretty runs in-process: a transport thread could drop the last lines when the
 * trainer exits on a signal.
 */
export function createRunLogger(logFile: string | null, options: { quiet?: boolean; level?: string } = {}): Logger {
  const streams: pino.StreamEntry[] = [];
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
  const multi = pino.multistream(streams);
  const logger = pino({ level: options.level ?? 'debug', base: undefined }, multi);
  multistreams.set(logger, multi);
  if (logFile) logToFile(logger, logFile);
  return logger;
}

/**
 * Adds a JSON-lines file to a logger made by createRunLogger: the run folder is only known (and
 * made) once the run's inputs have been checked, after the first lines were logged.
 */
export function logToFile(logger: Logger, logFile: string): void {
  const multi = multistreams.get(logger);
  if (!multi) throw new RangeError('logToFile: the logger was not made by createRunLogger');
  multi.add({ level: 'debug', stream: createWriteStream(logFile, { flags: 'a' }) });
}

/** A logger that drops everything, for library calls that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
