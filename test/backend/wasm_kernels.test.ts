import { spawnSync } from 'node:child_process';

import { beforeAll, describe, expect, it } from 'vitest';

import { tf } from '../../src/tf.js';
import { setBackend } from '../../src/backend/index.js';
import { hostMemory } from '../../src/backend/host_memory.js';
import { wasmKernels } from '../../src/backend/wasm_kernels.js';
import { KERNELS_WASM_BASE64, KERNELS_WASM_SOURCES_SHA256 } from '../../src/backend/wasm/kernels_wasm.js';
// @ts-expect-error: a plain .mjs script without types
import { sources } from '../../scripts/build-wasm.mjs';

const bytes = Buffer.from(KERNELS_WASM_BASE64, 'base64');

/** The ids of the module's top-level sections (binary format: id byte, LEB128 size, payload). */
function sectionIds(b: Buffer): number[] {
  const ids: number[] = [];
  let i = 8;
  while (i < b.length) {
    const id = b[i++]!;
    let size = 0;
    let shift = 0;
    for (;;) {
      const byte = b[i++]!;
      size |= (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    ids.push(id);
    i += size;
  }
  return ids;
}

const hasClang = spawnSync('clang', ['--version']).status === 0;

describe('the compiled kernel module', () => {
  it('imports only the memory, writes nothing into it when instantiated, exports the kernels', () => {
    const module = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(WebAssembly.Module.exports(module).map((e) => e.name)).toContain('conv2d_filter_grad');
    // No data section (11) and no start function (8): instantiating it on tfjs's heap changes nothing there.
    const ids = sectionIds(bytes);
    expect(ids).toContain(10);
    expect(ids).not.toContain(11);
    expect(ids).not.toContain(8);
  });

  it('was built from the committed C sources', () => {
    expect(sources().hash, 'src/backend/wasm/*.c changed: run npm run build:wasm').toBe(KERNELS_WASM_SOURCES_SHA256);
  });

  it.runIf(hasClang)('is what this clang builds from them', () => {
    const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('conv2d_filter_grad called directly', () => {
  beforeAll(async () => {
    await setBackend('wasm');
  });

  it('matches tfjs for output widths the 8-wide tiles do not cover (scalar edge)', async () => {
    await tf.setBackend('wasm');
    const [n, h, w, c, k] = [2, 6, 5, 5, 20];
    const x = tf.randomNormal([n, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D;
    const dy = tf.randomNormal([n, h, w, k], 0, 1, 'float32', 2);
    const backend = tf.backend();
    const memory = hostMemory('wasm', backend);
    const dwInfo = memory.alloc([3, 3, c, k]);
    const at = (t: tf.TensorInfo): number => memory.read(t).byteOffset;
    wasmKernels(backend)!.exports.conv2d_filter_grad(at(x), at(dy), at(dwInfo), n, h, w, c, h, w, k, 3, 3, 1, 1, 1, 1);
    const dw = tf.engine().makeTensorFromTensorInfo(dwInfo);
    const ours = await dw.data();
    // The reference: the same contraction by autodiff through a forward conv.
    const ref = tf.tidy(() =>
      tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), dy)))(tf.zeros([3, 3, c, k])),
    );
    const expected = await ref.data();
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(ours[i]! - expected[i]!));
      scale = Math.max(scale, Math.abs(expected[i]!));
    }
    expect(worst / scale).toBeLessThan(1e-5);
    tf.dispose([x, dy, dw, ref]);
  });
});
