import { tf } from '../../tf.js';

/**
 * archai's PyramidNet shortcut, which has no parameters: the input, average-pooled 2x2 with stride 2
 * when the block strides (AvgPool2d(2, 2, ceil_mode=True); TensorFlow's 'same' padding gives the
 * same windows, the last one partial on odd sizes, averaged over the pixels it holds), then padded
 * with zero channels up to the block's width. (archai makes those zeros with torch.cuda.FloatTensor,
 * so its PyramidNet runs on CUDA only; tf.pad runs anywhere.)
 */
export function pyramidShortcut(x: tf.Tensor4D, stride: number, outChannels: number): tf.Tensor4D {
  return tf.tidy(() => {
    const pooled = stride === 1 ? x : tf.avgPool(x, 2, 2, 'same');
    const extra = outChannels - x.shape[3];
    if (extra < 0) throw new RangeError(`a PyramidNet block cannot narrow ${x.shape[3]} channels to ${outChannels}`);
    return extra === 0
      ? pooled
      : tf.pad(pooled, [
          [0, 0],
          [0, 0],
          [0, 0],
          [0, extra],
        ]);
  });
}
