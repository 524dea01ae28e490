/**
 * Reader and writer for the safetensors format (https://github.com/huggingface/safetensors): the
 * format in safetensors_format.ts, the pure codec in safetensors_decode.ts / safetensors_encode.ts
 * (browser-safe), files in safetensors_file.ts (Node), URLs and bytes in safetensors_source.ts.
 */
export { type HostTensor, hostToTensors, toHostTensor } from './host_tensor.js';
export { decodeSafetensors } from './safetensors_decode.js';
export { encodeSafetensors } from './safetensors_encode.js';
export { SafetensorsError } from './safetensors_error.js';
export { readSafetensors, readSafetensorsFile, writeSafetensors } from './safetensors_file.js';
export { readSafetensorsSource, type SafetensorsSource } from './safetensors_source.js';
