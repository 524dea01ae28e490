/** The options of the WideResNet family: the config's `model` section and createModel validate against this schema. */
import { z } from 'zod';

export const wideResNetOptionsSchema = z.strictObject({
  dropRate: z
    .number()
    .min(0)
    .lt(1)
    .default(0)
    .describe(
      "Dropout probability between the two convolutions of every block, in training. 0 (archai's get_model) draws nothing; " +
        'the WRN paper uses 0.3 on CIFAR.',
    ),
});

export type WideResNetOptions = z.input<typeof wideResNetOptionsSchema>;
export type ResolvedWideResNetOptions = z.output<typeof wideResNetOptionsSchema>;
