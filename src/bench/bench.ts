/**
 * A training/inference benchmark of one zoo model on one backend: random NHWC images, W warm-up
 * steps (kernel compilation, buffer pools), then K timed steps, each synchronised by awaiting one
 * small read. A benchmark, not a test: it reports, it does not judge.
 */
import { tf } from '../tf.js';
import { BACKEND_NAMES, isBackendName, setBackend, type BackendInfo, type BackendName } from '../backend/index.js';
import type { AdapterDescription } from '../backend/webgpu/device.js';
import { assertWebGPUHealthy, webgpuDeviceInfo } from '../backend/webgpu/device.js';
import { createModel, defaultRegistry } from '../registry/index.js';
import { Generator } from '../util/random.js';
import { autoMicroBatch } from '../engine/micro_batch.js';
import { trainStep } from '../engine/step.js';
import { Replicas, resolveReplicaCount, type ReplicaCount } from '../parallel/replicas.js';
import { Optimizer } from '../engine/optimizer.js';
import { profileStep, type StepProfile } from './profile.js';

export type BenchMode = 'train' | 'eval';

export interface BenchOptions {
  /** A zoo name (or archai's alias), e.g. shake_resnet26_2x32d. */
  model: string;
  mode: BenchMode;
  batch: number;
  /** Default 'auto'. */
  backend?: BackendName;
  /** Untimed steps first. Default 3. */
  warmup?: number;
  /** Timed steps. Default 10. */
  steps?: number;
  /** Square images of this side. Default 32. */
  imageSize?: number;
  /** Default 10. */
  numClasses?: number;
  /** Seeds weights, input and shake draws. Default 0. */
  seed?: number;
  /** Also profile one more step by kernel (tf.profile; the main thread's kernels only). */
  profile?: boolean;
  /**
   * Data-parallel replicas on the CPU backends (replicas.ts). Default 'auto': one per core, as
   * training and evaluation use by default.
   */
  replicas?: ReplicaCount;
  logger?: { info(obj: object, msg?: string): void };
}

/** One benchmark's numbers; `toJSONLine` gives the one-line form of `archai-ts bench --json`. */
export interface BenchResult {
  model: string;
  backend: Exclude<BackendName, 'auto'>;
  /** The WebGPU adapter, or null on other backends. */
  adapter: AdapterDescription | null;
  /** webgpu only: how the conv filter gradient ran (ARCHAI_TS_WEBGPU_FILTER_GRAD). */
  filter_grad?: 'conv' | 'im2col';
  batch: number;
  mode: BenchMode;
  image_size: number;
  /** batch / median step seconds. */
  images_per_s: number;
  step_ms_median: number;
  step_ms_min: number;
  step_ms_max: number;
  /** Each timed step, ms. */
  step_ms: number[];
  /** The first warm-up step (compiles kernels on webgpu), ms; null without warm-up. */
  first_step_ms: number | null;
  /** Peak resident set size of the process so far, MiB. */
  peak_rss_mb: number;
  /** Tensors left behind by the timed steps (0 unless something leaks). */
  leaked_tensors: number;
  steps: number;
  warmup: number;
  threads?: number;
  /** wasm only: the build of our kernels that ran ('relaxed-simd', 'simd128'), or 'tfjs'. */
  kernels?: string;
  /** Data-parallel replicas the step ran on (1: the main thread alone). */
  replicas: number;
  node: string;
  tfjs: string;
  date: string;
  profile?: StepProfile;
}

/** Bad benchmark options: which option (BenchOptions' key), what is wrong and what is accepted. */
export class BenchOptionsError extends Error {
  override name = 'BenchOptionsError';
  constructor(
    readonly option: keyof BenchOptions,
    readonly problem: string,
  ) {
    super(`${option} ${problem}`);
  }
}

export const BENCH_DEFAULTS = { warmup: 3, steps: 10, imageSize: 32, numClasses: 10, seed: 0 } as const;

/** The paper's optimiser (Gastaldi 2017; archai's shakeshake config): SGD, Nesterov 0.9. */
export const BENCH_SGD = { lr: 0.2, momentum: 0.9, nesterov: true, weightDecay: 1e-4 } as const;

/** The least value of each integer option. */
const MINIMUM = { batch: 1, warmup: 0, steps: 1, imageSize: 4, numClasses: 2, seed: 0, replicas: 1 } as const;

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));

function checkInt(name: keyof typeof MINIMUM, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < MINIMUM[name]) {
    throw new BenchOptionsError(name, `must be an integer >= ${MINIMUM[name]}, got ${show(v)}`);
  }
  return v;
}

/** The options with defaults filled in; the one place their rules are written (the CLI passes its flags through). */
type ValidBenchOptions = Required<Omit<BenchOptions, 'logger'>>;

export function validateBenchOptions(o: BenchOptions): ValidBenchOptions {
  if (typeof o.model !== 'string' || o.model === '')
    throw new BenchOptionsError('model', 'is required: a zoo name, e.g. shake_resnet26_2x32d');
  if (o.mode !== 'train' && o.mode !== 'eval') throw new BenchOptionsError('mode', `must be 'train' or 'eval', got ${show(o.mode)}`);
  const backend = o.backend ?? 'auto';
  if (!isBackendName(backend)) throw new BenchOptionsError('backend', `must be one of ${BACKEND_NAMES.join(', ')}, got ${show(backend)}`);
  if (o.batch === undefined) throw new BenchOptionsError('batch', 'is required: images per step');
  return {
    model: o.model,
    mode: o.mode,
    batch: checkInt('batch', o.batch),
    backend,
    warmup: checkInt('warmup', o.warmup ?? BENCH_DEFAULTS.warmup),
    steps: checkInt('steps', o.steps ?? BENCH_DEFAULTS.steps),
    imageSize: checkInt('imageSize', o.imageSize ?? BENCH_DEFAULTS.imageSize),
    numClasses: checkInt('numClasses', o.numClasses ?? BENCH_DEFAULTS.numClasses),
    seed: checkInt('seed', o.seed ?? BENCH_DEFAULTS.seed),
    profile: o.profile ?? false,
    replicas: o.replicas === 'auto' || o.replicas === undefined ? 'auto' : checkInt('replicas', o.replicas),
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const r1 = (v: number) => Math.round(v * 10) / 10;
const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** Runs the benchmark on the chosen backend (which stays selected afterwards). */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const o = validateBenchOptions(options);
  defaultRegistry.resolve(o.model); // an unknown name fails before any backend loads
  const info: BackendInfo = await setBackend(o.backend, options.logger ? { logger: options.logger } : {});
  const model = createModel(o.model, { numClasses: o.numClasses, seed: o.seed });
  const gen = new Generator(o.seed + 1);
  const x = tf.randomNormal([o.batch, o.imageSize, o.imageSize, 3], 0, 1, 'float32', o.seed) as tf.Tensor4D;
  const labels = Int32Array.from({ length: o.batch }, () => gen.nextUint32() % o.numClasses);
  const y = tf.tensor1d(labels, 'int32');
  const optimizer =
    o.mode === 'train'
      ? new Optimizer(model.namedParameters(), {
          type: 'sgd',
          momentum: BENCH_SGD.momentum,
          nesterov: BENCH_SGD.nesterov,
          weightDecay: BENCH_SGD.weightDecay,
        })
      : undefined;
  const rng = gen.fork();
  const microBatch = autoMicroBatch(model, x.shape, info.name);
  let replicas: Replicas | null = null;

  const step = async (): Promise<void> => {
    if (optimizer) {
      const stepOptions = { lr: BENCH_SGD.lr, rng, microBatch };
      const r = replicas ? await replicas.trainStep(model, optimizer, x, y, stepOptions) : trainStep(model, optimizer, x, y, stepOptions);
      try {
        await r.loss.data();
      } finally {
        tf.dispose([r.loss, r.correct]);
      }
    } else {
      const logits = replicas ? await replicas.predict(model, x) : tf.tidy(() => model.forward(x, { training: false }));
      try {
        await logits.data();
      } finally {
        logits.dispose();
      }
    }
  };

  try {
    const count = resolveReplicaCount(o.replicas, info.name);
    if (count > 1) {
      replicas = await Replicas.start({
        model: o.model,
        modelOptions: { numClasses: o.numClasses, seed: o.seed },
        count,
        backend: info.name,
      });
    }
    let firstStepMs: number | null = null;
    for (let i = 0; i < o.warmup; i++) {
      const t0 = performance.now();
      await step();
      if (i === 0) firstStepMs = performance.now() - t0;
    }
    const tensorsBefore = tf.memory().numTensors;
    const times: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    const leaked = tf.memory().numTensors - tensorsBefore;
    const profile = o.profile ? await profileStep(step, info.name) : undefined;
    if (info.name === 'webgpu') assertWebGPUHealthy();

    return benchResult(o, info, { times, firstStepMs, leaked, replicas: replicas?.count ?? 1, profile });
  } finally {
    await replicas?.close();
    optimizer?.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
}

interface Measured {
  times: number[];
  firstStepMs: number | null;
  leaked: number;
  replicas: number;
  profile: BenchResult['profile'] | undefined;
}

function benchResult(o: ValidBenchOptions, info: BackendInfo, m: Measured): BenchResult {
  const { times, firstStepMs, leaked, replicas, profile } = m;
  const med = median(times);
  return {
    model: o.model,
    backend: info.name,
    adapter: info.adapter ?? null,
    ...(info.name === 'webgpu' ? { filter_grad: webgpuDeviceInfo()?.filterGrad ?? 'conv' } : {}),
    batch: o.batch,
    mode: o.mode,
    image_size: o.imageSize,
    images_per_s: r1(o.batch / (med / 1000)),
    step_ms_median: r3(med),
    step_ms_min: r3(Math.min(...times)),
    step_ms_max: r3(Math.max(...times)),
    step_ms: times.map(r3),
    first_step_ms: firstStepMs == null ? null : r1(firstStepMs),
    peak_rss_mb: r1(process.resourceUsage().maxRSS / 1024),
    leaked_tensors: leaked,
    steps: o.steps,
    warmup: o.warmup,
    ...(info.threads != null ? { threads: info.threads } : {}),
    ...(info.kernels != null ? { kernels: info.kernels } : {}),
    replicas,
    node: process.version,
    tfjs: tf.version.tfjs,
    date: new Date().toISOString(),
    ...(profile ? { profile } : {}),
  };
}

/** A readable summary of a result (the CLI's output without --json). */
export function formatBench(r: BenchResult, topKernels = 15): string {
  const adapter = r.adapter
    ? ` (${r.adapter.software ? 'software' : 'hardware'} adapter ${[r.adapter.vendor, r.adapter.device || r.adapter.description].filter(Boolean).join(' ')})`
    : '';
  const lines = [
    `${r.model} ${r.mode}, batch ${r.batch}, ${r.image_size}x${r.image_size}, backend ${r.backend}${adapter}${r.filter_grad === 'im2col' ? ', im2col filter gradient' : ''}${r.threads != null ? `, ${r.threads} thread(s)` : ''}${r.kernels != null ? `, ${r.kernels} kernels` : ''}${r.replicas > 1 ? `, ${r.replicas} replicas` : ''}`,
    `  ${r.images_per_s} images/s: median step ${r.step_ms_median} ms (min ${r.step_ms_min}, max ${r.step_ms_max}) over ${r.steps} steps after ${r.warmup} warm-up${r.first_step_ms != null ? ` (first ${r.first_step_ms} ms)` : ''}`,
    `  peak RSS ${r.peak_rss_mb} MiB${r.leaked_tensors ? `, ${r.leaked_tensors} tensors leaked per run!` : ''}; node ${r.node}, tfjs ${r.tfjs}`,
  ];
  if (r.profile) {
    const p = r.profile;
    lines.push(
      '',
      `kernel profile of one step (${p.method} timing; ${p.kernelCalls} kernel calls, ${p.totalMs} ms in kernels; the profiled step took ${p.wallMs} ms):`,
    );
    const rows = p.kernels.slice(0, topKernels);
    const w = Math.max(6, ...rows.map((k) => k.name.length + (k.nested ? 2 : 0)));
    lines.push(`  ${'kernel'.padEnd(w)}  ${'calls'.padStart(5)}  ${'ms'.padStart(10)}  ${'self ms'.padStart(10)}  ${'%'.padStart(5)}`);
    for (const k of rows) {
      const name = k.nested ? `  ${k.name}` : k.name;
      lines.push(
        `  ${name.padEnd(w)}  ${String(k.calls).padStart(5)}  ${k.ms.toFixed(1).padStart(10)}  ${k.selfMs.toFixed(1).padStart(10)}  ${k.pct.toFixed(1).padStart(5)}`,
      );
    }
    if (p.kernels.some((k) => k.nested)) {
      lines.push(
        '  (indented: kernels run inside others, e.g. the forward convs of the conv gradients, and counted in their ms too; self ms: without the kernels run inside)',
      );
    }
    if (p.method === 'submit-wall') {
      lines.push('  (no timestamp-query: each dispatch is submitted alone and timed by wall clock; exact on llvmpipe only)');
    }
  }
  return lines.join('\n');
}
