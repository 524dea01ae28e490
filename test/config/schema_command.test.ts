import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { registerSchema } from '../../cli/schema.js';
import { configJsonSchemaText } from '../../src/config/index.js';
import { useTmpConfigs } from './tmp_configs.js';

const program = () => {
  const p = new Command('archai-ts').exitOverride();
  registerSchema(p);
  return p;
};

describe('archai-ts schema', () => {
  const tmp = useTmpConfigs();

  it('writes the JSON Schema to --out', async () => {
    const out = join(tmp.dir(), 'schema.json');
    await program().parseAsync(['node', 'archai-ts', 'schema', '--out', out]);
    expect(readFileSync(out, 'utf8')).toBe(configJsonSchemaText());
  });

  it('prints it without --out', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await program().parseAsync(['node', 'archai-ts', 'schema']);
      expect(write).toHaveBeenCalledWith(configJsonSchemaText());
    } finally {
      write.mockRestore();
    }
  });

  it('is strict and documents the warmup', () => {
    const schema = JSON.parse(configJsonSchemaText());
    expect(schema.additionalProperties).toBe(false);
    const schedule = schema.properties.trainer.properties.schedule;
    expect(schedule.additionalProperties).toBe(false);
    expect(schedule.properties.warmup_multiplier.description).toMatch(/GradualWarmupScheduler/);
    expect(schema.properties.extends).toBeDefined();
    expect(schema.properties.__include__).toBeDefined();
  });
});
