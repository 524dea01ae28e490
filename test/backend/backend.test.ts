import { createRequire } from 'node:module';

import { describe, expect, it, vi } from 'vitest';

import { tf } from '../../src/tf.js';
import { BACKEND_NAMES, BackendError, isBackendName, setBackend } from '../../src/backend/index.js';

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const nodeBindingInstalled = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('setBackend', () => {
  // First in the file: the cpu backend prints its banner on its first tensor write in a process.
  it("'cpu' works, reports itself and keeps tfjs's install-the-node-backend banner quiet", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const info = await setBackend('cpu');
      expect(info).toEqual({ name: 'cpu', tfBackend: 'cpu' });
      expect(tf.getBackend()).toBe('cpu');
      tf.dispose(tf.tensor([1, 2, 3]));
      const printed = [...warn.mock.calls, ...log.mock.calls].flat().join('\n');
      expect(printed).not.toMatch(/node backend/);
      expect(tf.env().getBool('PROD')).toBe(true);
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')).toBeDefined();
  });

  it("'wasm' works and reports threads and SIMD", async () => {
    const info = await setBackend('wasm');
    expect(info.name).toBe('wasm');
    expect(info.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(typeof info.simd).toBe('boolean');
    // wasm ships no filter gradient; ours makes training possible.
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
    const y = tf.tidy(() => tf.add(tf.tensor([1, 2]), tf.tensor([3, 4])));
    expect(Array.from(await y.data())).toEqual([4, 6]);
    y.dispose();
    // A second call is harmless.
    expect((await setBackend('wasm')).name).toBe('wasm');
  });

  it('logs the chosen backend through the given logger', async () => {
    const calls: [object, string | undefined][] = [];
    await setBackend('cpu', { logger: { info: (obj, msg) => calls.push([obj, msg]) } });
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toEqual({ backend: { name: 'cpu', tfBackend: 'cpu' } });
    expect(calls[0]![1]).toMatch(/cpu/);
  });

  it.skipIf(nodeBindingInstalled)(
    "'tensorflow' and 'tensorflow-gpu' say in one line that the package is missing and how to install it",
    async () => {
      for (const [name, pkg] of [
        ['tensorflow', '@tensorflow/tfjs-node'],
        ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
      ] as const) {
        const err = await rejection(setBackend(name));
        expect(err).toBeInstanceOf(BackendError);
        expect(err.name).toBe('BackendError');
        expect(err.message).toContain(`npm install ${pkg}`);
        expect(err.message).toMatch(/not installed/);
        expect(err.message).not.toContain('\n');
      }
    },
  );

  it.skipIf(nodeBindingInstalled)("'auto' falls back to wasm and records why", async () => {
    const calls: object[] = [];
    const info = await setBackend('auto', { logger: { info: (obj) => calls.push(obj) } });
    expect(info.name).toBe('wasm');
    expect(info.tfBackend).toBe('wasm');
    expect(info.fallbackFrom).toHaveLength(3);
    expect(info.fallbackFrom![0]).toMatch(/^backend 'tensorflow-gpu': .*tfjs-node-gpu is not installed/);
    expect(info.fallbackFrom![1]).toMatch(/^backend 'webgpu': /);
    expect(info.fallbackFrom![2]).toMatch(/^backend 'tensorflow': .*tfjs-node is not installed/);
    expect(calls).toEqual([{ backend: info }]);
  });

  it('the default is auto', async () => {
    const info = await setBackend();
    expect(info.fallbackFrom).toBeDefined();
  });

  it('an invalid name throws BackendError listing the valid ones', async () => {
    const err = await rejection(setBackend('webgl' as never));
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/unknown backend 'webgl'/);
    for (const n of BACKEND_NAMES) expect(err.message).toContain(n);
    expect(isBackendName('wasm')).toBe(true);
    expect(isBackendName('webgl')).toBe(false);
  });
});
