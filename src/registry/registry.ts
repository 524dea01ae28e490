import type { z } from 'zod';
import type { AnyModelFamily, Architecture } from '../models/family.js';
import type { Model, StageInfo } from '../models/model.js';
import { withoutInitialValues } from '../nn/init.js';
import { closestNames, naturalCompare, wildcardToRegExp } from '../util/names.js';

/** numClasses and seed, and the family's own options (e.g. `shake` for Shake-Shake, `dropRate` for WideResNet). */
export interface CreateModelOptions {
  /** Default 10. */
  numClasses?: number;
  /** Seeds the initial weights and the model's own random draws. Default 0. */
  seed?: number;
  [option: string]: unknown;
}

/** A name resolved: its family and the architecture it spells. */
export interface ResolvedName {
  /** The canonical name (an alias resolves to it). */
  name: string;
  family: AnyModelFamily;
  arch: Architecture;
}

export interface ModelInfo {
  name: string;
  family: string;
  aliases: string[];
  description: string;
  numClasses: number;
  /** The family's options, resolved. */
  options: Record<string, unknown>;
  /** Trainable parameters. */
  params: number;
  /** Multiply-accumulates of convolutions and linear layers for one 32x32 image. */
  macs: number;
  stages: StageInfo[];
}

export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
  constructor(
    message: string,
    readonly suggestions: string[] = [],
  ) {
    super(message);
  }
}

/** Options that do not fit the model's family: the message names the key and the family. */
export class ModelOptionsError extends Error {
  override name = 'ModelOptionsError';
}

/** A problem with one option, where the path is relative to the options object. */
export interface OptionIssue {
  path: Array<string | number>;
  message: string;
  /** zod's own issue where it says more than the message (the config formats those itself). */
  zod?: z.core.$ZodIssue;
}

export class ModelRegistry {
  private readonly familyList: AnyModelFamily[] = [];
  private readonly variants = new Map<string, ResolvedName>();
  private readonly aliases = new Map<string, string>();

  /** Adds a family: its grammar and its variants' names (and archai's aliases for them). */
  registerFamily(family: AnyModelFamily): void {
    if (this.familyList.some((f) => f.name === family.name)) throw new Error(`model family '${family.name}' is already registered`);
    const entries = family.variants.map((v) => ({ name: family.format(v.arch), aliases: v.aliases ?? [], arch: v.arch }));
    for (const e of entries) {
      for (const n of [e.name, ...e.aliases]) {
        if (this.variants.has(n) || this.aliases.has(n)) throw new Error(`model name '${n}' is already registered`);
      }
    }
    this.familyList.push(family);
    for (const e of entries) {
      this.variants.set(e.name, { name: e.name, family, arch: e.arch });
      for (const a of e.aliases) this.aliases.set(a, e.name);
    }
  }

  get families(): readonly AnyModelFamily[] {
    return this.familyList;
  }

  family(name: string): AnyModelFamily | undefined {
    return this.familyList.find((f) => f.name === name);
  }

  /** The family and architecture of a name: a registered name, an alias, or any name a family's grammar parses. */
  resolve(name: string): ResolvedName {
    const known = this.variants.get(name) ?? this.variants.get(this.aliases.get(name) ?? '');
    if (known) return known;
    for (const family of this.familyList) {
      const parsed = family.parse(name);
      if (typeof parsed === 'string') throw new UnknownModelError(`cannot build model '${name}': ${parsed}`);
      if (parsed) return { name: family.format(parsed), family, arch: parsed };
    }
    const suggestions = closestNames(name, [...this.variants.keys(), ...this.aliases.keys()]);
    const hint = suggestions.length ? `; did you mean ${suggestions.map((s) => `'${s}'`).join(', ')}?` : '';
    const grammars = this.familyList.map((f) => f.grammar).join(', ');
    throw new UnknownModelError(
      `unknown model '${name}'${hint} (see 'archai-ts list'${grammars ? `; any ${grammars} builds` : ''})`,
      suggestions,
    );
  }

  /**
   * The family's options of a model resolved against its schema (defaults filled in), or the issues
   * found. An option of another family, or a typo, is named with the family and what it takes.
   */
  familyOptions(resolved: ResolvedName, options: Record<string, unknown>): { value: Record<string, unknown> } | { issues: OptionIssue[] } {
    const r = resolved.family.options.safeParse(options, { reportInput: true });
    if (r.success) return { value: r.data as Record<string, unknown> };
    const issues: OptionIssue[] = r.error.issues.flatMap((issue): OptionIssue[] => {
      const path = issue.path as Array<string | number>;
      if (issue.code === 'unrecognized_keys' && path.length === 0) {
        return issue.keys.map((key) => ({ path: [key], message: this.unknownOptionMessage(resolved, key) }));
      }
      return [{ path, message: issue.message, zod: issue }];
    });
    return { issues };
  }

  private unknownOptionMessage(resolved: ResolvedName, key: string): string {
    const family = resolved.family;
    const valid = Object.keys(family.options.shape);
    const owners = this.familyList.filter((f) => f !== family && key in f.options.shape).map((f) => f.name);
    const takes = valid.length ? `it takes ${valid.join(', ')}` : 'it takes no options besides num_classes';
    const near = closestNames(key, valid, 1);
    const hint = owners.length ? ` ('${key}' is an option of ${owners.join(', ')})` : near.length ? `; did you mean '${near[0]}'?` : '';
    return `'${key}' is not an option of ${resolved.name} (family ${family.name}): ${takes}${hint}`;
  }

  /** Builds a model; options other than numClasses and seed go to its family, which checks them. */
  createModel(name: string, options: CreateModelOptions = {}): Model {
    const resolved = this.resolve(name);
    const { numClasses = 10, seed = 0, ...rest } = options;
    if (!Number.isInteger(numClasses) || numClasses < 1)
      throw new ModelOptionsError(`numClasses must be a positive integer, got ${String(numClasses)}`);
    if (!Number.isSafeInteger(seed)) throw new ModelOptionsError(`seed must be an integer, got ${String(seed)}`);
    const checked = this.familyOptions(resolved, rest);
    if ('issues' in checked) {
      const first = checked.issues[0]!;
      const where = first.zod ? `${resolved.name}: ${first.path.length ? `${first.path.join('.')}: ` : ''}` : '';
      throw new ModelOptionsError(where + first.message);
    }
    return resolved.family.build(resolved.arch, { numClasses, seed, ...checked.value });
  }

  /** Registered names matching a wildcard pattern, in natural order; aliases too if asked; of one family if asked. */
  listModels(pattern = '*', options: { aliases?: boolean; family?: string } = {}): string[] {
    const re = wildcardToRegExp(pattern);
    const inFamily = (n: string) => options.family === undefined || this.resolve(n).family.name === options.family;
    const names = [...this.variants.keys(), ...(options.aliases ? this.aliases.keys() : [])];
    return names.filter((n) => re.test(n) && inFamily(n)).sort(naturalCompare);
  }

  aliasesOf(name: string): string[] {
    const canonical = this.resolve(name).name;
    return [...this.aliases]
      .filter(([, target]) => target === canonical)
      .map(([alias]) => alias)
      .sort(naturalCompare);
  }

  /** Builds the model (zero weights, which is quick) to count it; disposes it before returning. */
  modelInfo(name: string, options: CreateModelOptions = {}): ModelInfo {
    const resolved = this.resolve(name);
    const model = withoutInitialValues(() => this.createModel(name, options));
    try {
      return {
        name: resolved.name,
        family: resolved.family.name,
        aliases: this.aliasesOf(resolved.name),
        description: resolved.family.describe(resolved.arch),
        numClasses: model.numClasses,
        options: { ...model.options },
        params: model.numParameters(),
        macs: model.profile().macs,
        stages: model.stages(),
      };
    } finally {
      model.dispose();
    }
  }
}
