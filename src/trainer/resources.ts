/** The one owner of a run's resources: each is released once, in reverse order, on every path. */
export class Resources {
  private readonly releases: Array<() => unknown> = [];

  /** Registers `release` for `item` and returns the item. */
  add<T>(item: T, release: (item: T) => unknown): T;
  add(release: () => unknown): void;
  add<T>(itemOrRelease: T | (() => unknown), release?: (item: T) => unknown): T | undefined {
    if (release) {
      this.releases.push(() => release(itemOrRelease as T));
      return itemOrRelease as T;
    }
    this.releases.push(itemOrRelease as () => unknown);
    return undefined;
  }

  /** Releases everything; the first failure is rethrown after all have run. */
  async dispose(): Promise<void> {
    let first: unknown = null;
    while (this.releases.length) {
      try {
        await this.releases.pop()!();
      } catch (e) {
        first ??= e;
      }
    }
    if (first) throw first;
  }
}
