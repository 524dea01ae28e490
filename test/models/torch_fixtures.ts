/** Reading the PyTorch fixtures of scripts/make_torch_fixtures.py and comparing a model with them. */
import { expect } from 'vitest';
import { readSafetensorsFile } from '../../src/io/index.js';
import type { Module } from '../../src/nn/module.js';
import type { tf } from '../../src/tf.js';
import { maxRelDiff } from '../helpers.js';

export const FIXTURES = new URL('../fixtures/torch/', import.meta.url);
/** Relative tolerance of every comparison with archai. */
export const TOL = 1e-4;

/** A fixture file: all its tensors, its metadata, and its state., grad. and after. groups without their prefix. */
export async function loadFixture(name: string) {
  const { tensors, metadata } = await readSafetensorsFile(new URL(name, FIXTURES).pathname);
  const pick = (prefix: string) =>
    Object.fromEntries(
      Object.entries(tensors)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  return { t: tensors, metadata, state: pick('state.'), grads: pick('grad.'), after: pick('after.') };
}

/** Torch-layout gradients turned into this model's layout by loading them as a state dict into a twin. */
export async function expectGradsMatch(
  model: Module,
  twin: Module,
  ours: Record<string, tf.Tensor>,
  torchGrads: Record<string, tf.Tensor>,
) {
  twin.loadStateDict(torchGrads, { strict: false });
  const params = twin.namedParameters();
  expect(Object.keys(torchGrads).sort()).toEqual([...model.namedParameters().keys()].sort());
  for (const [name, v] of model.namedParameters()) {
    expect(await maxRelDiff(ours[v.name]!, params.get(name)!), name).toBeLessThan(TOL);
  }
}

/** The model's BatchNorm buffers after the step equal the fixture's `after.` ones. */
export async function expectBuffersMatch(model: Module, after: Record<string, tf.Tensor>) {
  const buffers = model.namedBuffers();
  expect(Object.keys(after).length).toBeGreaterThan(0);
  for (const [key, expected] of Object.entries(after)) {
    expect(await maxRelDiff(buffers.get(key)!, expected), key).toBeLessThan(TOL);
  }
}
