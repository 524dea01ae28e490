import { z } from 'zod';
import { configFileObject } from '../config/index.js';
import { searchObject } from './schema.js';

/** JSON Schema of a search config file (an experiment file plus `search:`), for editors: configs/search.schema.json. */
export function searchConfigJsonSchemaText(): string {
  const file = configFileObject.extend({ search: searchObject }).describe('An archai-ts search config (archai-ts search --config FILE).');
  const { $schema, ...rest } = z.toJSONSchema(file, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return `${JSON.stringify({ $schema, title: 'archai-ts search config', ...rest }, null, 2)}\n`;
}
