export { shakeShake, resolveShakeOptions, DEFAULT_SHAKE, type ShakeOptions, type ResolvedShakeOptions } from './shake_shake.js';
export { Shortcut, shiftOnePixel, type ShortcutOptions } from './shortcut.js';
export { ShakeUnit, type ShakeUnitOptions } from './shake_unit.js';
export { ShakeBlock, type ShakeBlockOptions } from './shake_block.js';
export { ShakeBottleNeck, type ShakeBottleNeckOptions } from './shake_bottleneck.js';
export { ShakeNet, archaiConvStd, type ShakeNetOptions, type ShakeVariant, type StageInfo } from './shake_net.js';
export { ShakeResNet, shakeResNetDepthError, type ShakeResNetOptions } from './shake_resnet.js';
export { ShakeResNeXt, shakeResNeXtDepthError, type ShakeResNeXtOptions } from './shake_resnext.js';
