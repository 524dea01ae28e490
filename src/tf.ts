/**
 * The one tfjs namespace the package uses. Re-exported as `tf` so users build tensors with the same
 * engine (and the same registered kernels) as the models: two copies of tfjs-core in a process would
 * each have their own backends and kernel registry.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
