/**
 * Multi-threaded tfjs wasm in Node.
 *
 * tfjs-backend-wasm ships the threaded SIMD binary (XNNPACK with a pthreads pool) but turns threads
 * off under Node (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE; tensorflow/tfjs#3830): its
 * Emscripten glue hands the pthread workers a Blob URL for their script, which Node's worker_threads
 * cannot load, and the main script it posts them is the factory's source text, which refers to
 * helpers of the bundle it was cut from.
 *
 * This module makes it work at run time, without touching node_modules: while the wasm backend
 * initialises, `Blob` and `URL.createObjectURL` are wrapped so that the two scripts tfjs builds (the
 * pthread worker and the module factory) are written to files in a private temp folder and their
 * paths used instead of Blob URLs; the worker file gets a prelude that defines what the factory's
 * source needs (tslib's helpers, the bundle's `require$$N`) and loads the factory from its file.
 * Everything is restored when the initialisation ends.
 *
 * Call `prepareWasmThreads(n)` after importing '@tensorflow/tfjs-backend-wasm' and before
 * tf.setBackend('wasm') (the backend initialises once per process), then run the initialisation
 * inside `withWasmThreadShims(() => tf.setBackend('wasm'))`, or use `initWasmWithThreads`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { tf } from '../../tf.js';

/**
 * Env var: the number of wasm threads (1 = the single-threaded SIMD binary). Default 1: opt in,
 * because training steps were seen to stall (every thread asleep) in 2 of about 6 runs under a
 * parent's spawnSync; see bench/cpu/RESULTS.md.
 */
export const WASM_THREADS_ENV = 'ARCHAI_TS_WASM_THREADS';

/** The thread count from ARCHAI_TS_WASM_THREADS ('auto': the number of logical cores), else 1. */
export function wasmThreadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[WASM_THREADS_ENV];
  if (raw === 'auto') return Math.max(1, cpus().length);
  if (raw != null && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`${WASM_THREADS_ENV} must be a positive integer, got '${raw}'`);
    }
    return n;
  }
  return 1;
}

// The bundle's ES5 helpers that the factory's source refers to (tslib's, as the bundle defines them),
// and the Node modules it imported as require$$N.
const PRELUDE = `
var require$$0 = require('fs');
var require$$1 = require('path');
var require$$3 = require('perf_hooks');
var require$$4 = require('os');
var commonjsGlobal = globalThis;
var _scriptDir = __filename;
function __values(o) {
  var s = typeof Symbol === "function" && Symbol.iterator, m = s && o[s], i = 0;
  if (m) return m.call(o);
  if (o && typeof o.length === "number") return { next: function () { if (o && i >= o.length) o = void 0; return { value: o && o[i++], done: !o }; } };
  throw new TypeError(s ? "Object is not iterable." : "Symbol.iterator is not defined.");
}
function __read(o, n) {
  var m = typeof Symbol === "function" && o[Symbol.iterator];
  if (!m) return o;
  var i = m.call(o), r, ar = [], e;
  try { while ((n === void 0 || n-- > 0) && !(r = i.next()).done) ar.push(r.value); }
  catch (error) { e = { error: error }; }
  finally { try { if (r && !r.done && (m = i["return"])) m.call(i); } finally { if (e) throw e.error; } }
  return ar;
}
function __spreadArray(to, from, pack) {
  if (pack || arguments.length === 2) for (var i = 0, l = from.length, ar; i < l; i++) {
    if (ar || !(i in from)) { if (!ar) ar = Array.prototype.slice.call(from, 0, i); ar[i] = from[i]; }
  }
  return to.concat(ar || Array.prototype.slice.call(from));
}
`;

interface RecordedBlob {
  __archaiParts?: unknown[];
}

let tempDir: string | undefined;
let prepared = 0;

/**
 * Sets tfjs's flags and thread count so that the next wasm initialisation takes the threaded SIMD
 * binary with `threads` threads (1: leaves threads off). Must run before the wasm backend is
 * initialised; the package must be imported (it registers the flag).
 */
export async function prepareWasmThreads(threads: number): Promise<void> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`wasm threads must be a positive integer, got ${threads}`);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const multi = threads > 1 && typeof SharedArrayBuffer !== 'undefined';
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', multi);
  wasm.setThreadsCount(multi ? threads : 1);
  prepared = multi ? threads : 1;
}

let wrapped = false;

/**
 * Makes the next initialisation of tfjs's 'wasm' backend multi-threaded (`threads` > 1) by
 * preparing the flags and re-registering the backend's factory so that it runs inside
 * withWasmThreadShims. Call after importing '@tensorflow/tfjs-backend-wasm' (and setWasmPaths),
 * before tf.setBackend('wasm'). Returns the thread count asked for; after initialisation
 * getThreadsCount() of the package says what XNNPACK got. Has no effect once the wasm backend has
 * been initialised in this process (tfjs initialises a backend once).
 */
export async function enableWasmThreads(threads: number = wasmThreadsFromEnv()): Promise<number> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (tf.engine().registry['wasm'] != null) return prepared || 1; // already initialised
  await prepareWasmThreads(threads);
  if (!wrapped) {
    const factory = tf.findBackendFactory('wasm');
    if (factory == null) throw new Error("enableWasmThreads: no 'wasm' backend registered");
    const priority = 2; // tfjs-backend-wasm's WASM_PRIORITY
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', () => withWasmThreadShims(async () => factory()), priority);
    wrapped = true;
  }
  return prepared;
}

/**
 * Runs `init` (which initialises the wasm backend, e.g. `() => tf.setBackend('wasm')`) with the
 * Blob/createObjectURL shims in place, then restores them. A no-op wrapper unless
 * prepareWasmThreads asked for more than one thread.
 */
export async function withWasmThreadShims<T>(init: () => Promise<T>): Promise<T> {
  if (prepared <= 1) return init();
  if (tempDir == null) {
    tempDir = mkdtempSync(join(tmpdir(), 'archai-ts-wasm-'));
    // Emscripten may start more pthread workers later (from the same files): keep them to the end.
    process.once('exit', cleanupWasmThreadFiles);
  }
  const dir = tempDir;
  const OrigBlob = globalThis.Blob;
  const origCreate = URL.createObjectURL;
  class RecordingBlob extends OrigBlob {
    __archaiParts: unknown[];
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      this.__archaiParts = parts ?? [];
    }
  }
  let factoryFile: string | undefined;
  let counter = 0;
  const textOf = (b: RecordedBlob): string => (b.__archaiParts ?? []).map(String).join('');
  URL.createObjectURL = (obj: Blob | MediaSource): string => {
    const parts = (obj as RecordedBlob).__archaiParts;
    if (parts == null) return origCreate.call(URL, obj as Blob);
    const text = textOf(obj as RecordedBlob);
    // The worker script: make it a CommonJS file whose importScripts loads the factory file.
    const file = join(dir, `pthread-worker-${process.pid}-${counter++}.cjs`);
    const loader =
      PRELUDE +
      `\nvar __archaiFactoryFile = ${JSON.stringify(factoryFile ?? '')};\n` +
      text +
      `\nimportScripts = function () { require(__archaiFactoryFile); };\n` +
      `globalThis.importScripts = importScripts;\n`;
    writeFileSync(file, loader);
    return file;
  };
  (globalThis as { Blob: typeof Blob }).Blob = new Proxy(RecordingBlob, {
    construct(target, args: [BlobPart[]?, BlobPropertyBag?]) {
      const b = new target(...args);
      const text = textOf(b as unknown as RecordedBlob);
      if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
        factoryFile = join(dir, `factory-${process.pid}.cjs`);
        writeFileSync(factoryFile, PRELUDE + text + '\nglobalThis.WasmBackendModuleThreadedSimd = WasmBackendModuleThreadedSimd;\n');
      }
      return b;
    },
  }) as unknown as typeof Blob;
  // The C side sizes its pool as min(requested, 8, emscripten_num_logical_cores() / 2) (it assumes
  // two hyperthreads per core), and Emscripten answers that from os.cpus() under Node: report twice
  // the requested count while the module's constructors run.
  const origCpus = os.cpus;
  const wanted = prepared;
  os.cpus = () => {
    const real = origCpus.call(os);
    return Array.from({ length: 2 * wanted }, (_, i) => real[i % Math.max(1, real.length)]!);
  };
  try {
    return await init();
  } finally {
    (globalThis as { Blob: typeof Blob }).Blob = OrigBlob;
    URL.createObjectURL = origCreate;
    os.cpus = origCpus;
  }
}

/** Removes the temp folder (the workers have read their scripts by the time init resolves). */
export function cleanupWasmThreadFiles(): void {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
}
