import { spawnSync } from 'node:child_process';

import { beforeAll, describe, expect, it } from 'vitest';

import { tf } from '../../src/tf.js';
import { setBackend } from '../../src/backend/index.js';
import { hostMemory } from '../../src/backend/host/host_memory.js';
import { bindWasmKernels, wasmFmaFromEnv, wasmKernelFlavour, wasmKernelModules, type WasmKernels } from '../../src/backend/wasm/kernels.js';
import { KERNELS_WASM_RELAXED, KERNELS_WASM_SIMD128, KERNELS_WASM_SOURCES_SHA256 } from '../../src/backend/wasm/kernels_wasm.js';
import { lcgValues, relError } from '../helpers.js';
// @ts-expect-error: a plain .mjs script without types
import { findClang, sources } from '../../scripts/build-wasm.mjs';

/** The ids of a module's top-level sections (binary format: id byte, LEB128 size, payload). */
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

const BUILDS = { simd128: KERNELS_WASM_SIMD128, relaxed: KERNELS_WASM_RELAXED };
const EXPORTS = [
  '__stack_pointer',
  'bn_affine',
  'bn_grad_sums',
  'bn_sums',
  'conv2d',
  'conv2d_filter_grad',
  'conv2d_input_grad',
  'conv2d_transpose_filter',
];

describe('the compiled kernel modules', () => {
  it.each(Object.entries(BUILDS))('%s imports only the memory and writes nothing into it when instantiated', (_name, base64) => {
    const bytes = Buffer.from(base64, 'base64');
    // No data section (11) and no start function (8): instantiating it on tfjs's heap changes nothing there.
    const ids = sectionIds(bytes);
    expect(ids).toContain(10);
    expect(ids).not.toContain(11);
    expect(ids).not.toContain(8);
    // Parsing the imports and exports needs no relaxed-SIMD support (only compiling the code would).
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('\0asm');
  });

  it('the SIMD128 build exports the kernels and its stack pointer', () => {
    const module = wasmKernelModules().simd128;
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(
      WebAssembly.Module.exports(module)
        .map((e) => e.name)
        .sort(),
    ).toEqual(EXPORTS);
  });

  it('were built from the committed C sources', () => {
    expect(sources().hash, 'src/backend/wasm/*.c or *.h changed: run npm run build:wasm').toBe(KERNELS_WASM_SOURCES_SHA256);
  });

  it.runIf(findClang() != null)('are what this clang builds from them', () => {
    const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('choosing the build', () => {
  it('reads ARCHAI_TS_WASM_FMA', () => {
    expect(wasmFmaFromEnv({})).toBe(true);
    expect(wasmFmaFromEnv({ ARCHAI_TS_WASM_FMA: '1' })).toBe(true);
    expect(wasmFmaFromEnv({ ARCHAI_TS_WASM_FMA: '0' })).toBe(false);
    expect(() => wasmFmaFromEnv({ ARCHAI_TS_WASM_FMA: 'yes' })).toThrow(/ARCHAI_TS_WASM_FMA must be 0 .* or 1 .*, got 'yes'/);
  });

  it('uses fused multiply-add once the engine validates it', () => {
    const flavour = wasmKernelFlavour();
    expect(flavour).toBe(wasmKernelModules().relaxed != null && process.env['ARCHAI_TS_WASM_FMA'] !== '0' ? 'relaxed-simd' : 'simd128');
  });
});

describe('each build, called directly, against tfjs autodiff on the cpu backend', () => {
  // Stride 2 with 'same' padding: pad top/left 0 for even sizes, so use an odd size for a real pad.
  const [n, h, w, c, k, s, pad] = [2, 7, 6, 8, 16, 2, 1];
  const oh = Math.floor((h + 2 * pad - 3) / s) + 1;
  const ow = Math.floor((w + 2 * pad - 3) / s) + 1;
  const xv = lcgValues(n * h * w * c, 1);
  const wv = lcgValues(3 * 3 * c * k, 2);
  const dyv = lcgValues(n * oh * ow * k, 3);
  let ref: { y: Float32Array; dx: Float32Array; dw: Float32Array };

  beforeAll(async () => {
    await setBackend('cpu');
    ref = tf.tidy(() => {
      const x = tf.tensor4d(xv, [n, h, w, c]);
      const f = tf.tensor4d(wv, [3, 3, c, k]);
      const dy = tf.tensor4d(dyv, [n, oh, ow, k]);
      const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad), dy));
      const [dx, dw] = tf.grads(loss)([x, f]);
      return {
        y: tf.conv2d(x, f, s, pad).dataSync() as Float32Array,
        dx: dx!.dataSync() as Float32Array,
        dw: dw!.dataSync() as Float32Array,
      };
    });
    await setBackend('wasm');
  });

  for (const build of ['simd128', 'relaxed'] as const) {
    it(build, async (ctx) => {
      const module = wasmKernelModules()[build];
      if (module == null) return ctx.skip();
      const backend = tf.backend();
      const kernels = bindWasmKernels(backend, module) as WasmKernels;
      const memory = hostMemory('wasm', backend);
      const x = tf.tensor4d(xv, [n, h, w, c]);
      const f = tf.tensor4d(wv, [3, 3, c, k]);
      const dy = tf.tensor4d(dyv, [n, oh, ow, k]);
      const y = memory.alloc([n, oh, ow, k]);
      const dx = memory.alloc([n, h, w, c]);
      const dw = memory.alloc([3, 3, c, k]);
      const wt = memory.alloc([3, 3, k, c]);
      const zeros = kernels.zeros(Math.max(c, k));
      const at = (t: tf.TensorInfo): number => memory.read(t).byteOffset;
      const e = kernels.exports;
      e.conv2d(at(x), at(f), 0, at(y), zeros, n, h, w, c, oh, ow, k, 3, 3, s, s, pad, pad, 0);
      e.conv2d_transpose_filter(at(f), at(wt), 3, 3, c, k);
      e.conv2d_input_grad(at(dy), at(wt), at(dx), zeros, n, h, w, c, oh, ow, k, 3, 3, s, s, pad, pad);
      e.conv2d_filter_grad(at(x), at(dy), at(dw), n, h, w, c, oh, ow, k, 3, 3, s, s, pad, pad);
      expect(relError(memory.read(y), ref.y), 'y').toBeLessThan(1e-5);
      expect(relError(memory.read(dx), ref.dx), 'dx').toBeLessThan(1e-5);
      expect(relError(memory.read(dw), ref.dw), 'dW').toBeLessThan(1e-5);
      const backendOf = backend as unknown as { disposeData(id: object): void };
      for (const t of [y, dx, dw, wt]) backendOf.disposeData(t.dataId);
      tf.dispose([x, f, dy]);
    });
  }

  it('the filter gradient for output widths the 8-wide tiles do not cover (scalar edge)', async () => {
    const [c2, k2] = [5, 20];
    const x = tf.randomNormal([2, 6, 5, c2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 6, 5, k2], 0, 1, 'float32', 2);
    const backend = tf.backend();
    const memory = hostMemory('wasm', backend);
    const kernels = bindWasmKernels(backend, wasmKernelModules().simd128) as WasmKernels;
    const dwInfo = memory.alloc([3, 3, c2, k2]);
    const at = (t: tf.TensorInfo): number => memory.read(t).byteOffset;
    kernels.exports.conv2d_filter_grad(at(x), at(dy), at(dwInfo), 2, 6, 5, c2, 6, 5, k2, 3, 3, 1, 1, 1, 1);
    const dw = tf.engine().makeTensorFromTensorInfo(dwInfo);
    const ref = tf.tidy(() =>
      tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), dy)))(tf.zeros([3, 3, c2, k2])),
    );
    expect(relError(await dw.data(), await ref.data())).toBeLessThan(1e-5);
    tf.dispose([x, dy, dw, ref]);
  });
});
