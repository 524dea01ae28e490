/**
 * The host-side image dataset every source (CIFAR files, synthetic) produces. It holds raw bytes,
 * not tensors: the loader augments on the CPU (possibly in worker threads) and the trainer turns
 * the finished batches into tensors, so nothing here depends on tfjs.
 */

/** The splits the dataset files hold; the validation split is carved out of 'train' (val_split.ts). */
export type Split = 'train' | 'test';

export type ChannelTriple = [number, number, number];

export interface ImageDataset {
  name: string;
  split: Split | 'val';
  numClasses: number;
  /** Number of images. */
  length: number;
  height: 32;
  width: 32;
  channels: 3;
  /** length*height*width*channels bytes, NHWC with the channels interleaved. */
  images: Uint8Array;
  /** One class index per image, in [0, numClasses). */
  labels: Uint8Array;
  classNames?: string[];
  /** Per-channel mean of pixel/255 that normalisation subtracts (the training split's, for both splits). */
  mean: ChannelTriple;
  /** Per-channel standard deviation of pixel/255 that normalisation divides by. */
  std: ChannelTriple;
}

/**
 * Per-channel mean and (population) standard deviation of pixel/255 over NHWC bytes. Used for the
 * synthetic set, and by tests to check the published CIFAR constants against the files.
 */
export function channelStats(images: Uint8Array, channels = 3): { mean: number[]; std: number[] } {
  // Histograms instead of float sums: exact, and faster than a multiply per byte.
  const hist = Array.from({ length: channels }, () => new Float64Array(256));
  for (let i = 0; i < images.length; i += channels) {
    for (let c = 0; c < channels; c++) hist[c][images[i + c]]++;
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (const h of hist) {
    let n = 0;
    let s = 0;
    let s2 = 0;
    for (let v = 0; v < 256; v++) {
      n += h[v];
      s += h[v] * v;
      s2 += h[v] * v * v;
    }
    const m = n > 0 ? s / n : 0;
    mean.push(m / 255);
    std.push(n > 0 ? Math.sqrt(Math.max(0, s2 / n - m * m)) / 255 : 0);
  }
  return { mean, std };
}
