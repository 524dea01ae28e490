/**
 * `archai-ts bench`'s runBench with the wasm backend's thread count set first (what the CLI does
 * once backend.ts calls enableWasmThreads; ARCHAI_TS_WASM_THREADS, default all cores). One JSON line.
 * Usage: npx tsx bench/cpu/archai_ts_bench.ts MODEL MODE BATCH WARMUP STEPS [BACKEND]
 */
import { enableWasmThreads, wasmThreadsFromEnv } from '../../src/backend/wasm_threads.js';
import { runBench, type BenchMode } from '../../src/bench/bench.js';
import type { BackendName } from '../../src/backend/index.js';

const [model = 'shake_resnet26_2x32d', mode = 'train', batch = '32', warmup = '2', steps = '5', backend = 'wasm'] = process.argv.slice(2);
if (backend === 'wasm' || backend === 'auto') await enableWasmThreads(wasmThreadsFromEnv());
const r = await runBench({ model, mode: mode as BenchMode, batch: Number(batch), backend: backend as BackendName, warmup: Number(warmup), steps: Number(steps) });
const { profile: _p, ...rest } = r;
console.log(JSON.stringify({ impl: 'archai-ts', ...rest }));
