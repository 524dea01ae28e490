export {
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  readSafetensorsFile,
  writeSafetensors,
  toHostTensor,
} from './safetensors.js';
export type { HostTensor } from './safetensors.js';
export { writeFileAtomic, fsyncDir, atomicTempPath } from './atomic.js';
