/**
 * archai's convolution initialisation (its Shake-Shake and PyramidNet modules): weights from
 * N(0, sqrt(2 / (k·k·out))), He's fan-out normal.
 */
export const archaiConvStd = (kernelSize: number, outChannels: number): number => Math.sqrt(2 / (kernelSize * kernelSize * outChannels));
