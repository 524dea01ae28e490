/**
 * A model family: one folder of src/models/ and one entry of families.ts. It owns its name grammar,
 * archai's names for its registered variants, its options (a zod schema: the config's `model`
 * section and createModel both take them from here) and its builder. Nothing above src/models/
 * knows any family by name.
 */
import type { z } from 'zod';
import type { Model } from './model.js';

/** The numbers and switches a model name spells, e.g. {depth: 28, k: 10} for wide_resnet28_10. */
export type Architecture = Readonly<Record<string, number | boolean>>;

/** What every builder gets besides its family's own options. */
export interface BaseModelOptions {
  numClasses: number;
  /** Seeds the initial weights and the model's own random draws. */
  seed: number;
}

export interface ModelVariant<A extends Architecture> {
  arch: A;
  /** archai's names for it. */
  aliases?: readonly string[];
}

export interface ModelFamily<A extends Architecture = Architecture, O extends object = Record<string, unknown>> {
  /** The family's name: `list --family NAME`, a search space's `family`. */
  readonly name: string;
  /** One line: what the networks are and where they come from. */
  readonly title: string;
  /** The shape of its names, for messages: e.g. 'wide_resnet{depth}_{k}'. */
  readonly grammar: string;
  /** Each key of an architecture with its rule, e.g. {depth: '6n+4, n >= 1', k: 'widen factor >= 1'}. */
  readonly choices: Readonly<Record<keyof A & string, string>>;
  /** The options besides numClasses and seed: a strict object whose keys have defaults. */
  readonly options: z.ZodObject<z.ZodRawShape, z.core.$strict>;
  /** null when the name is not of this family; a string naming the rule it breaks; else its architecture. */
  parse(name: string): A | string | null;
  /** The canonical name of an architecture (parse(format(a)) gives a back). */
  format(arch: A): string;
  /** One line describing an architecture. */
  describe(arch: A): string;
  /** The names `list` shows, with archai's aliases. */
  readonly variants: readonly ModelVariant<A>[];
  build(arch: A, options: BaseModelOptions & O): Model;
}

/** A family with its types erased, as the registry holds it. */
export type AnyModelFamily = ModelFamily<Architecture, Record<string, unknown>>;

/** Checks a family's definition against its own types and erases them for the registry. */
export function defineFamily<A extends Architecture, O extends object>(family: ModelFamily<A, O>): AnyModelFamily {
  return family as unknown as AnyModelFamily;
}
