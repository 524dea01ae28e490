export { wideResNetOptionsSchema, type WideResNetOptions, type ResolvedWideResNetOptions } from './options.js';
export { WideBasic, type WideBasicOptions } from './wide_basic.js';
export { WideResNet, wideResNetError, type WideResNetConfig } from './wide_resnet.js';
export { wideResNetFamily } from './family.js';
