/** Messages between the DataLoader's pool and its worker threads (types only; no runtime code). */
import type { ResolvedAugment } from './augment.js';

/** Sent once, as workerData. */
export interface WorkerInit {
  /** The dataset's images, shared rather than copied: every worker reads the same memory. */
  images: SharedArrayBuffer;
  byteOffset: number;
  byteLength: number;
  height: number;
  width: number;
  channels: number;
  mean: number[];
  std: number[];
  seed: number;
  augment: ResolvedAugment;
}

export interface WorkerRequest {
  id: number;
  epoch: number;
  index: number;
  indices: Int32Array;
}

/** `x` travels as a transferred ArrayBuffer, so the reply costs no copy. */
export type WorkerReply = { id: number; x: Float32Array } | { id: number; error: string };
