/**
 * The one error type of the data layer. Its message is a single line that names the file (or URL)
 * and says what is wrong and how to fix it, because it usually ends up as the last line a user of
 * the CLI sees.
 */
export class DataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
  }
}

/** Short text of a caught value, for embedding in a one-line DataError message. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
