/** The first line of an error's message: what one-line errors quote of a failure beneath them. */
export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
  return msg.split('\n')[0]!.trim();
}
