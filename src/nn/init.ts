import { tf } from '../tf.js';
import { Generator } from '../util/random.js';

/**
 * The generator layers draw their initial weights from when none is given, as torch's global one
 * is; seed it with manualSeed for reproducible models.
 */
let defaultGenerator = new Generator(0);

export function manualSeed(seed: number): void {
  defaultGenerator = new Generator(seed);
}

export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}

let shapesOnly = false;

/**
 * Builds modules with zero weights instead of drawn ones: for counting parameters and MACs, where
 * drawing tens of millions of numbers would cost seconds and give nothing.
 */
export function withoutInitialValues<T>(build: () => T): T {
  const previous = shapesOnly;
  shapesOnly = true;
  try {
    return build();
  } finally {
    shapesOnly = previous;
  }
}

export function normal(shape: number[], std: number, rng: Generator): tf.Tensor {
  if (shapesOnly) return tf.zeros(shape);
  const data = rng.fillNormal(new Float32Array(sizeOf(shape)), 0, std);
  return tf.tensor(data, shape, 'float32');
}

export function uniform(shape: number[], bound: number, rng: Generator): tf.Tensor {
  if (shapesOnly) return tf.zeros(shape);
  const data = rng.fillUniform(new Float32Array(sizeOf(shape)), -bound, bound);
  return tf.tensor(data, shape, 'float32');
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
