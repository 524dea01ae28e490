/**
 * The config's `model` section: name and num_classes, plus the options of the named model's family,
 * which the family's own schema checks (and fills with its defaults). The families are the
 * registry's, so a new family needs nothing here.
 */
import { z } from 'zod';
import { defaultRegistry, UnknownModelError } from '../registry/index.js';
import { didYouMean } from './issues.js';
import { keysAt } from './schema_keys.js';

const name = z
  .string()
  .min(1)
  .describe("Registered model name or any name a family's grammar builds, e.g. shake_resnet26_2x32d (see 'archai-ts list').");
const numClasses = z
  .number()
  .int()
  .min(1)
  .default(10)
  .describe('Classes of the classifier head; must match the dataset (10 for cifar10, 100 for cifar100).');
const DESCRIPTION = "The network to train, and the options of its family (see 'archai-ts describe NAME').";

/** Every family's options, each documented with the families that take it: for the JSON Schema and `--set` paths. */
function documentedOptions(): Record<string, z.ZodType> {
  const byKey = new Map<string, { schema: z.ZodType; families: string[] }>();
  for (const family of defaultRegistry.families) {
    for (const [key, schema] of Object.entries(family.options.shape)) {
      const entry = byKey.get(key) ?? { schema: schema as z.ZodType, families: [] };
      entry.families.push(family.name);
      byKey.set(key, entry);
    }
  }
  return Object.fromEntries(
    [...byKey].map(([key, { schema, families }]) => [
      key,
      schema.optional().describe(`${schema.description ? `${schema.description} ` : ''}(families: ${families.join(', ')})`),
    ]),
  );
}

/** The section as written in a file, every family's options included: what editors and `--set` check paths against. */
export const modelDocObject = z.strictObject({ name, num_classes: numClasses, ...documentedOptions() }).describe(DESCRIPTION);

type ModelInput = { name: string; num_classes: number } & Record<string, unknown>;

function checkFamilyOptions(m: ModelInput, ctx: z.RefinementCtx): void {
  let resolved: ReturnType<typeof defaultRegistry.resolve>;
  try {
    resolved = defaultRegistry.resolve(m.name);
  } catch (e) {
    if (!(e instanceof UnknownModelError)) throw e;
    ctx.addIssue({ code: 'custom', path: ['name'], message: e.message });
    return;
  }
  const { name: _n, num_classes: _c, ...options } = m;
  const checked = defaultRegistry.familyOptions(resolved, options);
  if (!('issues' in checked)) return;
  for (const issue of checked.issues) {
    const zodIssue = issue.zod;
    if (zodIssue?.code === 'unrecognized_keys') {
      const valid = keysAt(resolved.family.options, zodIssue.path as string[]) ?? [];
      for (const key of zodIssue.keys) {
        ctx.addIssue({
          code: 'custom',
          path: [...issue.path, key],
          message: `unknown key '${key}'; ${didYouMean(key, valid)}`,
          params: { isKey: true },
        });
      }
    } else if (zodIssue) {
      ctx.addIssue({ ...zodIssue, path: issue.path } as Parameters<typeof ctx.addIssue>[0]);
    } else {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, params: { isKey: true } });
    }
  }
}

/** name and num_classes first, then the family's options with its defaults filled in. */
function resolveFamilyOptions(m: ModelInput): ModelInput {
  const { name: modelName, num_classes, ...options } = m;
  const checked = defaultRegistry.familyOptions(defaultRegistry.resolve(modelName), options);
  return { name: modelName, num_classes, ...('value' in checked ? checked.value : options) };
}

/** The section as the loader validates it. */
export const modelSchema = z
  .looseObject({ name, num_classes: numClasses })
  .superRefine(checkFamilyOptions)
  .transform(resolveFamilyOptions)
  .describe(DESCRIPTION);

/** The model section of `name` with `numClasses` and its family's defaults: what a config holds after validation. */
export function modelSection(name: string, numClasses: number): z.output<typeof modelSchema> {
  return modelSchema.parse({ name, num_classes: numClasses });
}
