import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { ConfigError } from '../../src/config/index.js';

/** A scratch folder per test for config files; removed after the test. */
export function useTmpConfigs(): { dir: () => string; write: (rel: string, text: string) => string } {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const get = () => (dir ??= mkdtempSync(join(tmpdir(), 'archai-ts-config-')));
  return {
    dir: get,
    write(rel, text) {
      const file = join(get(), rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
  };
}

/** The ConfigError a call throws (sync or async), failing the test if it throws anything else or nothing. */
export async function configErrorOf(f: () => unknown): Promise<ConfigError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}
