import { describe, expect, it } from 'vitest';

describe("the package's public API", () => {
  it("is importable as 'archai-ts' (self-reference to the built dist) with the names other code relies on", async () => {
    const api = await import('archai-ts');
    for (const name of [
      'tf',
      'setBackend',
      'createModel',
      'listModels',
      'modelInfo',
      'registerModelFamily',
      'defineFamily',
      'readSafetensors',
      'writeSafetensors',
      'loadConfig',
      'train',
      'evaluate',
    ]) {
      expect(api, name).toHaveProperty(name);
    }
    // The tf it exports is the engine the models run on, not a second copy of tfjs.
    const { tf: ourTf } = await import('../src/tf.js');
    expect(api.tf.engine()).toBe(ourTf.engine());
  });
});
