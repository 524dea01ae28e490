/**
 * Headless Chromium for measuring and testing in a real browser: the system's own binary driven by
 * playwright-core (no browser download). Debian: `apt-get install chromium`.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

import { ServeError } from './errors.js';

/** Env var: the Chromium (or Chrome) binary to use instead of the first one found. */
export const CHROMIUM_ENV = 'ARCHAI_TS_CHROMIUM';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The Chromium binary: $ARCHAI_TS_CHROMIUM, else the first of the usual paths that exists; null if none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const chosen = env[CHROMIUM_ENV]?.trim();
  if (chosen) return chosen;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * Launches headless Chromium. `webgpu` adds --enable-unsafe-webgpu: Chromium on Linux offers no
 * WebGPU adapter without it (and then, without a GPU, only SwiftShader's software one).
 */
export async function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  const executablePath = findChromium();
  if (executablePath == null) {
    throw new ServeError(
      `no Chromium found (${CANDIDATES.join(', ')}); install it (Debian: apt-get install chromium) or set ${CHROMIUM_ENV}`,
    );
  }
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch {
    throw new ServeError('driving Chromium needs the package playwright-core; run `npm install playwright-core`');
  }
  // --no-sandbox: Chromium's sandbox refuses to start as root, as in containers and CI.
  const args = ['--no-sandbox', ...(options.webgpu ? ['--enable-unsafe-webgpu'] : [])];
  try {
    return await playwright.chromium.launch({ executablePath, args, headless: true });
  } catch (err) {
    throw new ServeError(`cannot start ${executablePath} (${String((err as Error).message).split('\n')[0]})`);
  }
}
