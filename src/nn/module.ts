import type { AllReduce } from '../backend/host/batchnorm_kernels.js';
import { tf } from '../tf.js';
import type { Generator } from '../util/random.js';

/** What a forward pass needs besides its input. */
export interface ForwardOptions {
  /** Training mode: batch statistics in BatchNorm, random shake coefficients. Default false. */
  training?: boolean;
  /** Source of the random draws of a training pass; a model falls back to its own. */
  rng?: Generator;
  /**
   * This pass holds rows [offset, offset + N) of a batch of `total` (a data-parallel share):
   * per-image random draws are made for the whole batch and sliced, so the shares together draw what
   * the whole batch would from the same generator state. Default: the pass is the whole batch.
   */
  rows?: { offset: number; total: number };
  /**
   * Training-mode BatchNorm takes its statistics over the rows of every participant of this
   * all-reduce (synchronised BatchNorm of data-parallel replicas). Default: this pass's rows only.
   */
  batchNormSync?: AllReduce;
}

/**
 * How weights are laid out: `torch` is PyTorch's (conv [out, in/groups, kh, kw], linear [out, in]),
 * `tfjs` is how the variables are held here and how TensorFlow stores them
 * (conv [kh, kw, in/groups, out], linear [in, out]).
 */
export type WeightLayout = 'torch' | 'tfjs';

export interface StateDictOptions {
  /** Default 'torch', so that a state dict goes straight to and from PyTorch. */
  layout?: WeightLayout;
}

export interface LoadStateDictOptions extends StateDictOptions {
  /** Missing or unexpected keys are errors. Default true. */
  strict?: boolean;
  /** Keys that may be present in the record and are skipped silently (e.g. archai's unused shortcuts). */
  ignore?: (key: string) => boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
  skippedKeys: string[];
}

/**
 * The model's own entries of a record that wraps them: a training checkpoint read as plain
 * safetensors ('model.' weights beside 'optim.' slots) or a torch.nn.DataParallel state dict
 * ('module.'). A record with any key of the model is taken as it is.
 */
function unwrapStateRecord(record: StateRecord, targets: ReadonlyMap<string, unknown>): StateRecord {
  const keys = Object.keys(record);
  if (keys.some((k) => targets.has(k))) return record;
  const prefix = ['model.module.', 'model.', 'module.'].find((p) => keys.some((k) => k.startsWith(p) && targets.has(k.slice(p.length))));
  if (!prefix) return record;
  const inner: StateRecord = {};
  for (const [k, v] of Object.entries(record)) if (k.startsWith(prefix)) inner[k.slice(prefix.length)] = v;
  return inner;
}

/** A tensor on the host, as read from a file: what loadStateDict takes besides tf.Tensor. */
export interface HostTensorLike {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

export type StateRecord = Record<string, tf.Tensor | HostTensorLike>;

/** The shape of a single example (H, W, C) as it flows through a network, for counting work. */
export type ExampleShape = [number, number, number];

export interface ShapeProfile {
  shape: ExampleShape;
  /** Multiply-accumulates of convolutions and linear layers for one example. */
  macs: number;
}

export class StateDictError extends Error {
  override name = 'StateDictError';
}

/**
 * PyTorch's nn.Module over tfjs: named children, parameters (trainable tf.Variables) and buffers
 * (non-trainable variables), so that state dict keys come out as PyTorch names them.
 */
export abstract class Module {
  private readonly _parameters = new Map<string, tf.Variable>();
  private readonly _buffers = new Map<string, tf.Variable>();
  private readonly _modules = new Map<string, Module>();

  abstract forward(x: tf.Tensor, options?: ForwardOptions): tf.Tensor;

  /** Output shape and MACs for one example of the given shape, without running anything. */
  abstract profile(input: ExampleShape): ShapeProfile;

  protected registerParameter(name: string, value: tf.Tensor): tf.Variable {
    const v = tf.variable(value, true);
    value.dispose();
    this._parameters.set(name, v);
    return v;
  }

  protected registerBuffer(name: string, value: tf.Tensor): tf.Variable {
    const v = tf.variable(value, false);
    value.dispose();
    this._buffers.set(name, v);
    return v;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this._modules.set(name, module);
    return module;
  }

  /** Direct children, in registration order. */
  namedChildren(): Map<string, Module> {
    return new Map(this._modules);
  }

  /** Every module of the tree with its dotted path ('' for this one), depth first. */
  namedModules(prefix = ''): Map<string, Module> {
    const out = new Map<string, Module>([[prefix, this]]);
    for (const [name, child] of this._modules) {
      for (const [k, m] of child.namedModules(join(prefix, name))) out.set(k, m);
    }
    return out;
  }

  namedParameters(prefix = ''): Map<string, tf.Variable> {
    return this.collect(prefix, (m) => m._parameters);
  }

  namedBuffers(prefix = ''): Map<string, tf.Variable> {
    return this.collect(prefix, (m) => m._buffers);
  }

  parameters(): tf.Variable[] {
    return [...this.namedParameters().values()];
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    let n = 0;
    for (const p of this.namedParameters().values()) n += p.size;
    return n;
  }

  /**
   * Parameters and buffers by PyTorch name, in PyTorch's order (a module's own parameters, then
   * its buffers, then its children). The tensors are copies: the caller disposes them.
   */
  stateDict(options: StateDictOptions = {}): Record<string, tf.Tensor> {
    const layout = options.layout ?? 'torch';
    const out: Record<string, tf.Tensor> = {};
    for (const [path, module] of this.namedModules()) {
      for (const [name, v] of module._parameters) {
        out[join(path, name)] = layout === 'torch' ? module.toTorchLayout(name, v) : v.clone();
      }
      for (const [name, v] of module._buffers) out[join(path, name)] = v.clone();
    }
    return out;
  }

  /**
   * Assign parameters and buffers from a record keyed by PyTorch names. Shapes are checked after
   * the layout conversion; with strict (the default) any missing or unexpected key is an error
   * naming the keys; without strict, the result lists what was skipped and missing, and a record
   * sharing no name with the model is still an error. A training checkpoint (its `model.` entries)
   * and a DataParallel state dict (`module.`) load as they are. Nothing is assigned unless
   * everything checks out.
   */
  loadStateDict(given: StateRecord, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const layout = options.layout ?? 'torch';
    const strict = options.strict ?? true;
    const targets = new Map<string, { module: Module; name: string; variable: tf.Variable; isParam: boolean }>();
    for (const [path, module] of this.namedModules()) {
      for (const [name, variable] of module._parameters) targets.set(join(path, name), { module, name, variable, isParam: true });
      for (const [name, variable] of module._buffers) targets.set(join(path, name), { module, name, variable, isParam: false });
    }
    const record = unwrapStateRecord(given, targets);
    const keys = Object.keys(record);
    if (!strict && keys.length > 0 && !keys.some((k) => targets.has(k))) {
      throw new StateDictError(
        `none of the ${keys.length} entries of the state dict is a name of this model (e.g. '${keys[0]}'; the model has '${targets.keys().next().value}'); it is another model's`,
      );
    }
    const skippedKeys = keys.filter((k) => !targets.has(k) && options.ignore?.(k));
    const unexpectedKeys = keys.filter((k) => !targets.has(k) && !options.ignore?.(k));
    const missingKeys = [...targets.keys()].filter((k) => !(k in record));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts: string[] = [];
      if (missingKeys.length) parts.push(`missing keys: ${listKeys(missingKeys)}`);
      if (unexpectedKeys.length) parts.push(`unexpected keys: ${listKeys(unexpectedKeys)}`);
      throw new StateDictError(`state dict does not match the model (${parts.join('; ')}); pass strict: false to load what matches`);
    }
    const assignments: Array<[tf.Variable, tf.Tensor]> = [];
    try {
      for (const [key, t] of targets) {
        const entry = record[key];
        if (entry === undefined) continue;
        const expected = layout === 'torch' && t.isParam ? t.module.torchShape(t.name, t.variable.shape) : t.variable.shape;
        if (!sameShape(entry.shape, expected)) {
          throw new StateDictError(
            `state dict entry '${key}' has shape [${entry.shape}] but the model expects [${expected}] (${layout} layout)`,
          );
        }
        assignments.push([
          t.variable,
          tf.tidy(() => {
            const src = toTensor(entry);
            const value = layout === 'torch' && t.isParam ? t.module.fromTorchLayout(t.name, src) : src;
            return value.dtype === t.variable.dtype ? value : value.cast(t.variable.dtype);
          }),
        ]);
      }
    } catch (e) {
      tf.dispose(assignments.map(([, v]) => v));
      throw e;
    }
    for (const [variable, value] of assignments) {
      variable.assign(value);
      value.dispose();
    }
    return { missingKeys, unexpectedKeys, skippedKeys };
  }

  /** Free every variable of the tree. */
  dispose(): void {
    for (const v of this.namedParameters().values()) v.dispose();
    for (const v of this.namedBuffers().values()) v.dispose();
  }

  /** A copy of parameter `name` in PyTorch's layout; leaves whose layout differs override this. */
  protected toTorchLayout(_name: string, value: tf.Tensor): tf.Tensor {
    return value.clone();
  }

  /** The shape parameter `name` has in PyTorch's layout. */
  protected torchShape(_name: string, shape: readonly number[]): number[] {
    return [...shape];
  }

  /** Parameter `name` from PyTorch's layout to the one held here; the inverse of toTorchLayout. */
  protected fromTorchLayout(_name: string, value: tf.Tensor): tf.Tensor {
    return value.clone();
  }

  private collect(prefix: string, pick: (m: Module) => Map<string, tf.Variable>): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [path, module] of this.namedModules(prefix)) {
      for (const [name, v] of pick(module)) out.set(join(path, name), v);
    }
    return out;
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function listKeys(keys: string[]): string {
  const shown = keys.slice(0, 8).join(', ');
  return keys.length > 8 ? `${shown} and ${keys.length - 8} more` : shown;
}

function toTensor(entry: tf.Tensor | HostTensorLike): tf.Tensor {
  if (entry instanceof tf.Tensor) return entry.clone();
  return tf.tensor(entry.data, entry.shape, entry.dtype);
}
