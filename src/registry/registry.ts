import type { ShakeOptions } from '../models/shakeshake/shake_shake.js';
import type { ShakeVariant, StageInfo } from '../models/shakeshake/shake_net.js';
import type { Model } from '../models/model.js';
import { closestNames, naturalCompare, wildcardToRegExp } from '../util/names.js';

export interface CreateModelOptions {
  /** Default 10. */
  numClasses?: number;
  /** Shake-Shake modes; default archai's (shake, shake, image). */
  shake?: ShakeOptions;
  /** Default 'archai'. */
  variant?: ShakeVariant;
  /** Seeds the initial weights and the shake draws. Default 0. */
  seed?: number;
}

/** A name the registry knows, spelled out (timm's tiny per-variant entries). */
export interface ModelEntry {
  name: string;
  family: string;
  aliases?: string[];
  description?: string;
  build: (options: CreateModelOptions) => Model;
}

/**
 * A grammar of names (`shake_resnet{depth}_2x{w}d`): any name it parses builds, registered or not.
 * parse returns null when the name is not of this family, an error string when it is but can't
 * build (a bad depth, say), or the entry to build.
 */
export interface ModelFamily {
  family: string;
  /** The shape of the names, for messages: e.g. 'shake_resnet{depth}_2x{w}d'. */
  grammar: string;
  parse: (name: string) => ModelEntry | string | null;
}

export interface ModelInfo {
  name: string;
  family: string;
  aliases: string[];
  description?: string;
  numClasses: number;
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

export class ModelRegistry {
  private readonly entries = new Map<string, ModelEntry>();
  private readonly aliases = new Map<string, string>();
  private readonly families: ModelFamily[] = [];

  registerModel(entry: ModelEntry): void {
    for (const n of [entry.name, ...(entry.aliases ?? [])]) {
      if (this.entries.has(n) || this.aliases.has(n)) throw new Error(`model name '${n}' is already registered`);
    }
    this.entries.set(entry.name, entry);
    for (const a of entry.aliases ?? []) this.aliases.set(a, entry.name);
  }

  registerFamily(family: ModelFamily): void {
    this.families.push(family);
  }

  /** The entry a name builds: a registered name, an alias, or any name a family's grammar parses. */
  resolve(name: string): ModelEntry {
    const exact = this.entries.get(name) ?? this.entries.get(this.aliases.get(name) ?? '');
    if (exact) return exact;
    for (const family of this.families) {
      const parsed = family.parse(name);
      if (typeof parsed === 'string') throw new UnknownModelError(`cannot build model '${name}': ${parsed}`);
      if (parsed) return this.entries.get(parsed.name) ?? parsed;
    }
    const suggestions = closestNames(name, [...this.entries.keys(), ...this.aliases.keys()]);
    const hint = suggestions.length ? `; did you mean ${suggestions.map((s) => `'${s}'`).join(', ')}?` : '';
    const grammars = this.families.map((f) => f.grammar).join(', ');
    throw new UnknownModelError(
      `unknown model '${name}'${hint} (see 'archai-ts list'${grammars ? `; any ${grammars} builds` : ''})`,
      suggestions,
    );
  }

  createModel(name: string, options: CreateModelOptions = {}): Model {
    return this.resolve(name).build(options);
  }

  /** Registered names matching a wildcard pattern, in natural order; aliases too if asked. */
  listModels(pattern = '*', options: { aliases?: boolean } = {}): string[] {
    const re = wildcardToRegExp(pattern);
    const names = [...this.entries.keys(), ...(options.aliases ? this.aliases.keys() : [])];
    return names.filter((n) => re.test(n)).sort(naturalCompare);
  }

  aliasesOf(name: string): string[] {
    const canonical = this.resolve(name).name;
    return [...this.aliases]
      .filter(([, target]) => target === canonical)
      .map(([alias]) => alias)
      .sort(naturalCompare);
  }

  /** Builds the model to count it; disposes it before returning. */
  modelInfo(name: string, options: CreateModelOptions = {}): ModelInfo {
    const entry = this.resolve(name);
    const model = entry.build(options);
    try {
      return {
        name: entry.name,
        family: entry.family,
        aliases: this.aliasesOf(entry.name),
        description: entry.description,
        numClasses: model.numClasses,
        params: model.numParameters(),
        macs: model.profile().macs,
        stages: model.stages(),
      };
    } finally {
      model.dispose();
    }
  }
}
