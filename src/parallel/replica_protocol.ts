/** Messages between Replicas (main thread) and replica_worker.ts. Arrays travel as transfers. */
import type { GeneratorState } from '../util/random.js';
import type { CreateModelOptions } from '../registry/registry.js';

export interface ReplicaInit {
  model: string;
  modelOptions: CreateModelOptions;
  backend: 'wasm' | 'cpu';
  /** The Collective's buffer for synchronised BatchNorm; this replica is rank `rank` in it. */
  collective: SharedArrayBuffer;
  rank: number;
}

/** The model's parameters (model.parameters() order) and float buffers (floatBuffers order, step.ts). */
export interface ReplicaWeights {
  params: Float32Array[];
  buffers: Float32Array[];
}

export interface ReplicaTrainRequest extends ReplicaWeights {
  id: number;
  kind: 'train';
  /** This replica's rows of the batch, NHWC. */
  x: Float32Array;
  shape: [number, number, number, number];
  y: Int32Array;
  /** Micro-batches, starts relative to x; `rows` for the one share of a synchronised step. */
  parts: Array<{ start: number; size: number; rng: GeneratorState; rows?: { offset: number; total: number } }>;
  /** Synchronised BatchNorm among this many replicas through the Collective (one part each); 0 = off. */
  sync: number;
  /** The whole step's batch size: weights are n_i / batchSize. */
  batchSize: number;
  labelSmoothing: number;
}

export interface ReplicaEvalRequest extends ReplicaWeights {
  id: number;
  kind: 'eval';
  x: Float32Array;
  shape: [number, number, number, number];
}

export type ReplicaRequest = ReplicaTrainRequest | ReplicaEvalRequest;

export type ReplicaReply =
  | { id: -1; kind: 'ready'; fingerprint: string[] }
  | { id: number; kind: 'train'; grads: Float32Array[]; loss: number; correct: number; buffers: Float32Array[] }
  | { id: number; kind: 'eval'; logits: Float32Array; shape: [number, number] }
  | { id: number; kind: 'error'; error: string };
