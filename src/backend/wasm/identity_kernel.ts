/**
 * Identity on the wasm backend without a copy. tfjs's wasm Identity copies the tensor, and the
 * engine runs Identity for every tensor it saves for a gradient (Engine.clone): a training step of
 * ShakeResNet-26 2x32d at batch 16 cloned 1,293 tensors, 261 MB of copies. Sharing the data with a
 * reference count, as the cpu backend's Identity and wasm's own Reshape do, is safe because no
 * kernel writes into its inputs.
 */
import { tf } from '../../tf.js';

let registered = false;

/** Replaces wasm's Identity (keeping the stock one for strings). Idempotent. */
export function registerWasmIdentityKernel(): void {
  if (registered) return;
  const stock = tf.getKernel(tf.Identity, 'wasm');
  if (stock == null)
    throw new Error('registerWasmIdentityKernel: the wasm backend has no Identity; import @tensorflow/tfjs-backend-wasm first');
  const kernelFunc = ((params: Parameters<tf.KernelFunc>[0]) => {
    const x = params.inputs['x']!;
    if (x.dtype === 'string') return stock.kernelFunc(params);
    (params.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }) as tf.KernelFunc;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({ ...stock, kernelFunc });
  registered = true;
}
