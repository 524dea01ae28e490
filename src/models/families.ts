/**
 * The zoo: every family of src/models/, one line each. A new family is a folder beside the others
 * and one line here; the registry, configs, the CLI and the trainer take it from this list.
 */
import type { AnyModelFamily } from './family.js';
import { pyramidNetFamily } from './pyramidnet/family.js';
import { shakeResNetFamily, shakeResNeXtFamily } from './shakeshake/family.js';
import { wideResNetFamily } from './wideresnet/family.js';

export const MODEL_FAMILIES: readonly AnyModelFamily[] = [shakeResNetFamily, shakeResNeXtFamily, wideResNetFamily, pyramidNetFamily];
