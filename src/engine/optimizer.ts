import { tf } from '../tf.js';

export const OPTIMIZER_TYPES = ['sgd', 'adam', 'adamw'] as const;

export type OptimizerType = (typeof OPTIMIZER_TYPES)[number];

export interface OptimizerOptions {
  type: OptimizerType;
  /** SGD momentum. Default 0. */
  momentum?: number;
  /** Nesterov momentum (SGD). Default false. */
  nesterov?: boolean;
  /** SGD and Adam: L2 added to the gradient, as PyTorch; AdamW: decoupled decay. Default 0. */
  weightDecay?: number;
  /** Adam/AdamW. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Adam/AdamW. Default 1e-8. */
  eps?: number;
}

/**
 * SGD, Adam and AdamW with PyTorch's update rules, over named parameters, with slots that can be
 * saved and restored exactly (tfjs's optimizers can't be resumed bit for bit, and their weight
 * decay differs from PyTorch's).
 */
export class Optimizer {
  readonly options: Required<OptimizerOptions>;
  /** Updates taken so far (Adam's bias correction needs it). */
  step = 0;
  private readonly params: Map<string, tf.Variable>;
  private readonly slots = new Map<string, tf.Variable>();

  constructor(params: Map<string, tf.Variable>, options: OptimizerOptions) {
    this.params = params;
    this.options = {
      momentum: 0,
      nesterov: false,
      weightDecay: 0,
      betas: [0.9, 0.999],
      eps: 1e-8,
      ...options,
    };
    const o = this.options;
    if (o.nesterov && (o.type !== 'sgd' || o.momentum <= 0)) throw new RangeError('nesterov needs SGD with momentum > 0');
    for (const [name, p] of params) {
      for (const slot of this.slotNames()) {
        const zeros = tf.zerosLike(p);
        this.slots.set(`${name}.${slot}`, tf.variable(zeros, false));
        zeros.dispose();
      }
    }
  }

  private slotNames(): string[] {
    const o = this.options;
    if (o.type === 'sgd') return o.momentum > 0 ? ['momentum_buffer'] : [];
    return ['exp_avg', 'exp_avg_sq'];
  }

  /** One update with learning rate `lr` (the schedule's rate of this step); grads are keyed by parameter name. */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const o = this.options;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const grad = grads.get(name);
        if (!grad) continue;
        if (o.type === 'sgd') this.sgd(name, p, grad, lr);
        else this.adam(name, p, grad, lr);
      }
    });
  }

  private sgd(name: string, p: tf.Variable, grad: tf.Tensor, lr: number): void {
    const o = this.options;
    let g = o.weightDecay ? tf.add(grad, tf.mul(p, o.weightDecay)) : grad;
    if (o.momentum > 0) {
      const buf = this.slots.get(`${name}.momentum_buffer`)!;
      // PyTorch starts the buffer at the first gradient; with no dampening, 0·momentum + g is the same.
      const next = tf.add(tf.mul(buf, o.momentum), g);
      buf.assign(next);
      g = o.nesterov ? tf.add(g, tf.mul(next, o.momentum)) : next;
    }
    p.assign(tf.sub(p, tf.mul(g, lr)));
  }

  private adam(name: string, p: tf.Variable, grad: tf.Tensor, lr: number): void {
    const o = this.options;
    const [b1, b2] = o.betas;
    let g = grad;
    let param: tf.Tensor = p;
    if (o.type === 'adamw') param = tf.mul(p, 1 - lr * o.weightDecay);
    else if (o.weightDecay) g = tf.add(grad, tf.mul(p, o.weightDecay));
    const m = this.slots.get(`${name}.exp_avg`)!;
    const v = this.slots.get(`${name}.exp_avg_sq`)!;
    const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
    const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
    m.assign(m1);
    v.assign(v1);
    const c1 = 1 - b1 ** this.step;
    const c2 = 1 - b2 ** this.step;
    // PyTorch: p -= lr/c1 · m / (sqrt(v)/sqrt(c2) + eps)
    const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(c2)), o.eps);
    p.assign(tf.sub(param, tf.mul(tf.div(m1, denom), lr / c1)));
  }

  /** Slots by '<param>.<slot>' (PyTorch's state names); copies the caller disposes. */
  stateDict(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of this.slots) out[k] = v.clone();
    return out;
  }

  loadStateDict(state: Record<string, tf.Tensor>, step: number): void {
    const missing = [...this.slots.keys()].filter((k) => !(k in state));
    if (missing.length)
      throw new RangeError(
        `optimizer state lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
      );
    for (const [k, v] of this.slots) {
      const src = state[k];
      if (src.shape.join() !== v.shape.join()) throw new RangeError(`optimizer slot ${k} has shape [${src.shape}], expected [${v.shape}]`);
      v.assign(src);
    }
    this.step = step;
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
  }
}
