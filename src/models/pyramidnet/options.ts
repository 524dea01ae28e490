/** The options of the PyramidNet family: the config's `model` section and createModel validate against these schemas. */
import { z } from 'zod';

export const shakeDropSchema = z
  .strictObject({
    gate: z
      .enum(['random', 'keep'])
      .default('random')
      .describe(
        "'random': in training each block's gate is drawn once per batch and stays open with probability 1 - p_drop; a closed " +
          "gate scales the block's output by alpha ~ U[-1,1] per image forward and its gradient by beta ~ U[0,1] per image. " +
          "'keep': every gate open in training (identity forward and backward), a deterministic mode for tests.",
      ),
    p_final: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        "p_drop of the last block: block l of L has p_drop = p_final * l / L (archai and the ShakeDrop paper: 0.5). Eval scales each block's output by 1 - p_drop.",
      ),
  })
  .describe('ShakeDrop (Yamada et al. 2018) on the residual branch of every block, as in archai.');

export const pyramidNetOptionsSchema = z.strictObject({
  shakeDrop: shakeDropSchema.prefault({}),
});

export type ShakeDropOptions = z.input<typeof shakeDropSchema>;
export type ResolvedShakeDropOptions = z.output<typeof shakeDropSchema>;
export type PyramidNetOptions = z.input<typeof pyramidNetOptionsSchema>;
