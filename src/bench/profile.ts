/**
 * Kernel time of one step by tfjs kernel name (tf.profile), for finding what to speed up next.
 *
 * How each backend times a kernel:
 * - cpu, wasm: wall time around the kernel (they run synchronously).
 * - webgpu with the `timestamp-query` feature: GPU timestamps around each dispatch.
 * - webgpu without it (Mesa's llvmpipe through OpenGL ES): tfjs reports 0; we submit each dispatch
 *   on its own and take the wall time of the submit, which is the kernel's run time where submit
 *   executes the work before returning (as llvmpipe's GL does) and near 0 where it does not.
 *
 * Some kernels are made of others (archai-ts's conv gradients are forward convs and transposes;
 * its webgpu PadV2/AddN fixes reshape and call the stock kernel): their time includes their
 * inner kernels, which are listed too (apart from top-level calls of the same kernel).
 */
import { tf } from '../tf.js';

export type TimingMethod = 'wall' | 'timestamp-query' | 'submit-wall' | 'none';

export interface KernelStat {
  name: string;
  calls: number;
  /** Summed kernel time, ms, with the kernels it ran inside. */
  ms: number;
  /** Summed kernel time without the kernels it ran inside, ms. */
  selfMs: number;
  /** ms as a share of the step's kernel time, %. */
  pct: number;
  /** Calls made inside another kernel (already counted in that one's time); listed apart. */
  nested: boolean;
}

export interface StepProfile {
  method: TimingMethod;
  /** Wall time of the profiled step (slower than an ordinary step: every kernel is timed). */
  wallMs: number;
  /** Kernel time of the step (top-level kernels with what they ran), ms. */
  totalMs: number;
  /** Kernel calls in the step, nested ones included. */
  kernelCalls: number;
  kernels: KernelStat[];
  peakBytes: number;
}

interface WebGPUBackendInternals {
  supportTimestampQuery?: boolean;
  hasTimestampQueryWarned?: boolean;
  getQueryTime?: () => Promise<number>;
  submitQueue?: () => void;
}

interface ProfileRecord {
  name: string;
  kernelTimeMs: number | { error: string };
  depth?: number;
}

/** Profiles one call of `step` (which must await its own read) and sums kernel time by name. */
export async function profileStep(step: () => Promise<void>, backendName: string): Promise<StepProfile> {
  const backend = tf.backend() as unknown as WebGPUBackendInternals;
  let method: TimingMethod = backendName === 'webgpu' ? 'timestamp-query' : 'wall';
  const restore: Array<() => void> = [];

  if (backendName === 'webgpu' && backend.supportTimestampQuery === false) {
    if (typeof backend.submitQueue === 'function' && typeof backend.getQueryTime === 'function') {
      method = 'submit-wall';
      const own = Object.hasOwn(backend, 'getQueryTime');
      const previous = backend.getQueryTime;
      const warned = backend.hasTimestampQueryWarned;
      backend.hasTimestampQueryWarned = true;
      backend.getQueryTime = async function (this: WebGPUBackendInternals) {
        const t0 = performance.now();
        this.submitQueue!();
        return performance.now() - t0;
      };
      restore.push(() => {
        if (own) backend.getQueryTime = previous;
        else delete backend.getQueryTime;
        backend.hasTimestampQueryWarned = warned;
      });
    } else {
      method = 'none';
    }
  }

  // Record how deep in other kernels each kernel ran: the engine pushes a kernel's record after
  // running it, when its own depth has been popped again, so the depth then is its nesting.
  const engine = tf.engine() as unknown as {
    state: { kernelDepth: number; activeProfile: { kernels: ProfileRecord[] } };
  };
  const active = engine.state?.activeProfile;
  if (active != null && typeof engine.state.kernelDepth === 'number') {
    let current = active.kernels;
    const tag = (arr: ProfileRecord[]) => {
      const push = arr.push.bind(arr);
      arr.push = (...items: ProfileRecord[]) => {
        for (const it of items) it.depth = engine.state.kernelDepth;
        return push(...items);
      };
    };
    Object.defineProperty(active, 'kernels', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (v: ProfileRecord[]) => {
        current = v;
        tag(v);
      },
    });
    restore.push(() => {
      delete (active as { kernels?: ProfileRecord[] }).kernels;
      active.kernels = current;
    });
  }

  let info: Awaited<ReturnType<typeof tf.profile>>;
  const t0 = performance.now();
  try {
    info = await tf.profile(async () => {
      await step();
      return [];
    });
  } finally {
    for (const r of restore.reverse()) r();
  }
  const wallMs = performance.now() - t0;

  // Times per record, inclusive (with the kernels it ran) and exclusive. Records come in
  // post-order (a kernel after the kernels it ran), so a record at depth d owns the records at
  // depth d+1 since the previous record at depth <= d. cpu and wasm time a kernel with what it ran
  // inside; tfjs's webgpu timer counts only a kernel's own dispatches.
  const inclusiveTimer = method === 'wall';
  const childSum: number[] = [];
  const records = (info.kernels as unknown as ProfileRecord[]).map((k) => {
    const reported = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const depth = k.depth ?? 0;
    const children = childSum[depth + 1] ?? 0;
    childSum[depth + 1] = 0;
    const inclusive = inclusiveTimer ? reported : reported + children;
    const exclusive = inclusiveTimer ? Math.max(0, reported - children) : reported;
    childSum[depth] = (childSum[depth] ?? 0) + inclusive;
    return { name: k.name, depth, inclusive, exclusive };
  });
  const totalMs = records.filter((r) => r.depth === 0).reduce((a, r) => a + r.inclusive, 0);

  // Top-level and nested calls of one kernel are listed apart.
  const byName = new Map<string, { name: string; calls: number; ms: number; selfMs: number; nested: boolean }>();
  for (const r of records) {
    const nested = r.depth > 0;
    const key = `${nested ? 1 : 0}:${r.name}`;
    const s = byName.get(key) ?? { name: r.name, calls: 0, ms: 0, selfMs: 0, nested };
    s.calls += 1;
    s.ms += r.inclusive;
    s.selfMs += r.exclusive;
    byName.set(key, s);
  }
  const kernels = [...byName.values()]
    .map((s) => ({
      name: s.name,
      calls: s.calls,
      ms: round(s.ms, 3),
      selfMs: round(s.selfMs, 3),
      pct: totalMs > 0 ? round((100 * s.ms) / totalMs, 1) : 0,
      nested: s.nested,
    }))
    .sort((a, b) => b.ms - a.ms || b.calls - a.calls);
  const dispatches = records.length;
  return { method, wallMs: round(wallMs, 1), totalMs: round(totalMs, 1), kernelCalls: dispatches, kernels, peakBytes: info.peakBytes };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
