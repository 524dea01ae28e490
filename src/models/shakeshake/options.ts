/**
 * The options of the Shake-Shake families, once: the config's `model` section, createModel and the
 * networks' constructors all validate against these schemas.
 */
import { z } from 'zod';

export const shakeModesSchema = z
  .strictObject({
    forward: z.enum(['shake', 'even']).default('shake').describe("'shake': forward coefficient alpha ~ U[0,1); 'even': 0.5."),
    backward: z
      .enum(['shake', 'even'])
      .default('shake')
      .describe("'shake': backward coefficient beta ~ U[0,1), drawn independently of alpha; 'even': 0.5."),
    level: z.enum(['image', 'batch']).default('image').describe("'image': one coefficient per sample; 'batch': one per batch."),
  })
  .describe("Shake-Shake modes of Gastaldi's paper; the default (shake, shake, image) is archai's and the paper's best on CIFAR-10.");

export const shakeVariantSchema = z
  .enum(['archai', 'paper'])
  .default('archai')
  .describe(
    "'archai' reproduces archai's networks (its weights load); 'paper' adds the BatchNorm after the stem convolution of the original Lua code.",
  );

/** Options of ShakeResNet and ShakeResNeXt besides numClasses and seed. */
export const shakeShakeOptionsSchema = z.strictObject({
  shake: shakeModesSchema.prefault({}),
  variant: shakeVariantSchema,
});

export type ShakeOptions = z.input<typeof shakeModesSchema>;
export type ResolvedShakeOptions = z.output<typeof shakeModesSchema>;
/**
 * 'archai' reproduces archai's networks (their state dicts load and give the same outputs);
 * 'paper' adds the BatchNorm after the stem convolution that the original Lua code has.
 */
export type ShakeVariant = z.output<typeof shakeVariantSchema>;
export type ShakeShakeOptions = z.input<typeof shakeShakeOptionsSchema>;
