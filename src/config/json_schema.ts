import { z } from 'zod';
import { configFileObject } from './schema.js';

/**
 * JSON Schema of a config file, for editors (yaml-language-server) and `archai-ts schema`.
 * It describes what may be written, so defaulted keys are optional; cross-key checks (classes
 * matching the dataset, warmup shorter than the run) are only the loader's.
 */
export function configJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(configFileObject, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return { $schema, title: 'archai-ts experiment config', ...rest };
}

/** The committed configs/schema.json text: stable key order and a trailing newline, so diffs stay clean. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
