export {
  shakeDropSchema,
  pyramidNetOptionsSchema,
  type ShakeDropOptions,
  type ResolvedShakeDropOptions,
  type PyramidNetOptions,
} from './options.js';
export { pyramidPlan, pyramidNetError, roundHalfEven, type PyramidBlockPlan } from './plan.js';
export { shakeDrop, type ShakeDropCall } from './shake_drop.js';
export { pyramidShortcut } from './shortcut.js';
export { PyramidBlock, type PyramidBlockOptions, type BlockForwardOptions } from './pyramid_block.js';
export { PyramidBasicBlock } from './basic_block.js';
export { PyramidBottleneck } from './bottleneck.js';
export { PyramidNet, type PyramidNetConfig } from './pyramid_net.js';
export { pyramidNetFamily } from './family.js';
