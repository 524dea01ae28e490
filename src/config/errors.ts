import { relative, isAbsolute } from 'node:path';

/** Where a value came from: a file (with its line and column when the YAML parser knew them) or a --set flag. */
export interface SourcePosition {
  source: string;
  line?: number;
  col?: number;
}

/**
 * A config the user must fix. The message is one line, `where: key.path: what is wrong; how to fix`,
 * because the CLI prints only the first line of an input error.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly position?: SourcePosition,
    readonly keyPath?: string,
  ) {
    super(message);
  }
}

/** Files under the working directory are shown relative to it: shorter, and what the user typed. */
export function displaySource(source: string): string {
  if (!isAbsolute(source)) return source;
  const rel = relative(process.cwd(), source);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : source;
}

export function formatPosition(p: SourcePosition): string {
  const where = displaySource(p.source);
  return p.line === undefined ? where : `${where}:${p.line}:${p.col ?? 1}`;
}

export function configError(position: SourcePosition, keyPath: string | undefined, problem: string): ConfigError {
  const prefix = keyPath ? `${formatPosition(position)}: ${keyPath}: ` : `${formatPosition(position)}: `;
  return new ConfigError(`${prefix}${problem}`.replace(/\s*\n\s*/g, ' '), position, keyPath);
}
