/** Bad input to `serve` (no such run, no checkpoint, a port in use): one line saying what and how to fix it. */
export class ServeError extends Error {
  override name = 'ServeError';
}
