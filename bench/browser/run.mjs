#!/usr/bin/env node
// Inference speed of zoo models in headless Chromium (measureBrowserLatency: forward + await
// logits.data(), random weights, the built bundle in dist/browser), optionally beside Node's own
// wasm backend on one thread (the built `archai-ts bench --mode eval --replicas 1`).
//
//   npm run build
//   node bench/browser/run.mjs [--models shake_resnet26_2x32d,wide_resnet40_2,pyramidnet110_a48]
//                              [--batches 1,32] [--backend wasm|webgpu] [--warmup 2] [--repeats 5] [--node]
//
// Prints one markdown row per model and batch: median ms a pass and images per second.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../flags.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { measureBrowserLatency } = await import(join(root, 'dist', 'src', 'serve', 'index.js'));
const { modelInfo } = await import(join(root, 'dist', 'src', 'registry', 'index.js'));

const args = parseFlags();
const o = {
  models: (args.models ?? 'shake_resnet26_2x32d,wide_resnet40_2,pyramidnet110_a48').split(','),
  batches: (args.batches ?? '1,32').split(',').map(Number),
  backend: args.backend ?? 'wasm',
  warmup: Number(args.warmup ?? 2),
  repeats: Number(args.repeats ?? 5),
  node: args.node === 'true',
};

/** Node's eval images/s on wasm, one thread, the same warm-up and timed steps. */
function nodeRate(model, batch) {
  const cli = join(root, 'dist', 'cli', 'main.js');
  const argv = [cli, 'bench', '--model', model, '--mode', 'eval', '--batch', String(batch), '--backend', 'wasm'];
  argv.push('--replicas', '1', '--warmup', String(o.warmup), '--steps', String(o.repeats), '--json');
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, ARCHAI_TS_WASM_THREADS: '1' } });
  if (r.status !== 0) return `failed: ${r.stderr.trim().split('\n')[0]}`;
  const line = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return (line.images_per_s ?? line.imagesPerSecond ?? NaN).toFixed(1);
}

console.log(`| model | params | batch | browser ${o.backend} median ms | browser img/s |${o.node ? ' Node wasm (1 thread) img/s |' : ''}`);
console.log(`| --- | --- | --- | --- | --- |${o.node ? ' --- |' : ''}`);
for (const model of o.models) {
  const params = modelInfo(model, { numClasses: 10 }).params;
  for (const batch of o.batches) {
    const r = await measureBrowserLatency({
      model,
      modelOptions: { numClasses: 10 },
      backend: o.backend,
      batch,
      warmup: o.warmup,
      repeats: o.repeats,
    });
    const rate = ((1000 * batch) / r.medianMs).toFixed(1);
    const node = o.node ? ` ${nodeRate(model, batch)} |` : '';
    console.log(`| ${model} | ${(params / 1e6).toFixed(2)}M | ${batch} | ${r.medianMs.toFixed(1)} | ${rate} |${node}`);
  }
}
