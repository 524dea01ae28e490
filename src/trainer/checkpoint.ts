import { createHash } from 'node:crypto';
import { copyFile, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicTempPath, fsyncDir, writeFileAtomic } from '../io/atomic.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, toHostTensor, type HostTensor } from '../io/safetensors.js';
import type { GeneratorState } from '../util/random.js';
import type { tf } from '../tf.js';
import type { EpochMetrics } from './metrics.js';

/** The best epoch so far: chosen by val_top1 with a validation split, else by test_top1. */
export interface BestEpoch {
  epoch: number;
  val_top1: number | null;
  test_top1: number | null;
}

/** Where training stands: everything besides the tensors that a resume needs to continue exactly. */
export interface TrainingState {
  /** The epoch in progress (or the next one when `batch` is 0). */
  epoch: number;
  /** Batches of `epoch` already trained. */
  batch: number;
  /** Optimizer steps taken. */
  step: number;
  /** The generator of the model's own draws (shake coefficients, dropout, ShakeDrop gates). */
  rng: GeneratorState;
  /** Train-loss and accuracy sums of the epoch in progress (float64, in step order). */
  partial: { lossSum: number; correct: number; seen: number; seconds: number };
  history: EpochMetrics[];
  best: BestEpoch | null;
  model: string;
  backend: string;
  /** Data-parallel training replicas. */
  replicas: number;
  /** The resolved config, as RUN/config.yaml holds it. */
  config: string;
}

export interface Checkpoint {
  state: TrainingState;
  /** PyTorch-named model weights and buffers (torch layout). */
  model: Record<string, HostTensor>;
  /** Optimizer slots by '<param>.<slot>'. */
  optimizer: Record<string, HostTensor>;
  optimizerStep: number;
  path: string;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** A readable safetensors file that is not a training checkpoint: plain weights, perhaps. */
export class NotACheckpointError extends CheckpointError {
  override name = 'NotACheckpointError';
}

const FORMAT = 'archai-ts-checkpoint/1';

function checksum(tensors: Record<string, HostTensor>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name];
    h.update(`${name}:${t.dtype}:${t.shape.join('x')};`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

async function toHost(prefix: string, record: Record<string, tf.Tensor>, out: Record<string, HostTensor>): Promise<void> {
  for (const [k, t] of Object.entries(record)) out[`${prefix}${k}`] = await toHostTensor(t);
}

/**
 * Writes one self-contained checkpoint file (weights, optimizer slots and state in the metadata,
 * with a checksum of the tensors) atomically: a kill at any moment leaves the previous file whole.
 */
export async function writeCheckpoint(
  path: string,
  parts: { state: TrainingState; model: Record<string, tf.Tensor>; optimizer: Record<string, tf.Tensor>; optimizerStep: number },
): Promise<void> {
  const tensors: Record<string, HostTensor> = {};
  await toHost('model.', parts.model, tensors);
  await toHost('optim.', parts.optimizer, tensors);
  const metadata = {
    format: FORMAT,
    state: JSON.stringify(parts.state),
    optimizer_step: String(parts.optimizerStep),
    checksum: checksum(tensors),
  };
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      `checkpoint ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}; pass a run folder or a .safetensors checkpoint`,
    );
  }
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes, path);
  } catch (e) {
    if (e instanceof SafetensorsError)
      throw new CheckpointError(`checkpoint ${path} is corrupt or truncated (${e.message}); use another checkpoint of the run`);
    throw e;
  }
  const { tensors, metadata } = decoded;
  if (metadata.format !== FORMAT) {
    throw new NotACheckpointError(
      `${path} is not an archai-ts training checkpoint (no '${FORMAT}' metadata); to score plain weights give the config too (eval --config FILE)`,
    );
  }
  if (checksum(tensors) !== metadata.checksum) {
    throw new CheckpointError(`checkpoint ${path} is corrupt: its tensors do not match their checksum; use another checkpoint of the run`);
  }
  let state: TrainingState;
  try {
    state = JSON.parse(metadata.state) as TrainingState;
  } catch {
    throw new CheckpointError(`checkpoint ${path} is corrupt: its state metadata is not JSON`);
  }
  const pick = (prefix: string) =>
    Object.fromEntries(
      Object.entries(tensors)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  return { state, model: pick('model.'), optimizer: pick('optim.'), optimizerStep: Number(metadata.optimizer_step), path };
}

/** RUN/checkpoints: step-N files, and last and best as copies of one of them (a copy survives damage to the others). */
export class CheckpointDir {
  constructor(
    readonly dir: string,
    readonly keep: number,
  ) {}

  pathForStep(step: number): string {
    return join(this.dir, `step-${String(step).padStart(8, '0')}.safetensors`);
  }

  get last(): string {
    return join(this.dir, 'last.safetensors');
  }

  get best(): string {
    return join(this.dir, 'best.safetensors');
  }

  /** Makes `alias` (last or best) a copy of `target`, atomically: copy to a temp name, rename over. */
  async alias(target: string, alias: string): Promise<void> {
    const tmp = atomicTempPath(alias);
    try {
      await copyFile(target, tmp);
      await rename(tmp, alias);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fsyncDir(this.dir);
  }

  /** The checkpoints there, newest step first: last and best first when present. */
  async list(): Promise<string[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    const steps = files
      .filter((f) => STEP_FILE.test(f))
      .sort()
      .reverse();
    return [...['last', 'best'].filter((n) => files.includes(`${n}.safetensors`)), ...steps.map((f) => f.replace('.safetensors', ''))];
  }

  /**
   * The file of a checkpoint by name: 'last' (or the newest step when last is missing), 'best',
   * 'step-N' (N unpadded or padded), or a path to a file.
   */
  async find(name = 'last'): Promise<string> {
    const available = await this.list();
    if (available.length === 0) throw new CheckpointError(`${this.dir} holds no checkpoint yet; the run stopped before its first one`);
    const step = /^step-(\d+)$/.exec(name);
    const wanted = step
      ? `step-${step[1]!.padStart(8, '0')}`
      : name === 'last' && !available.includes('last')
        ? available.find((n) => n.startsWith('step-'))!
        : name;
    if (!available.includes(wanted)) {
      throw new CheckpointError(`${this.dir} has no checkpoint '${name}'; it has ${available.join(', ')}`);
    }
    return join(this.dir, `${wanted}.safetensors`);
  }

  /** Deletes periodic checkpoints beyond the newest `keep`; last and best stay (they are copies). */
  async prune(): Promise<void> {
    const files = (await readdir(this.dir)).filter((f) => STEP_FILE.test(f)).sort();
    for (const f of files.slice(0, Math.max(0, files.length - Math.max(this.keep, 1)))) await unlink(join(this.dir, f));
  }
}

const STEP_FILE = /^step-\d+\.safetensors$/;
