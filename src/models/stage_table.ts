import type { ExampleShape, Module, ShapeProfile } from '../nn/module.js';
import { chainProfiles } from '../nn/sequential.js';
import type { StageInfo } from './model.js';

/** One row of a network's description: the modules it runs in order, and how to label it. */
export interface StageSpec {
  name: string;
  modules: readonly Module[];
  blocks: number;
  stride: number;
}

/**
 * The stages() rows of a network that runs its parts one after another: each part's widths, output
 * shape, parameters and MACs for an input of `input`. Parameter-free modules (pooling) may be
 * listed to carry the shape along.
 */
export function stageTable(input: ExampleShape, parts: readonly StageSpec[]): StageInfo[] {
  let shape = input;
  return parts.map((part) => {
    const p = chainProfiles(part.modules, shape);
    const row: StageInfo = {
      name: part.name,
      blocks: part.blocks,
      inChannels: shape[2],
      outChannels: p.shape[2],
      stride: part.stride,
      outputShape: p.shape,
      params: part.modules.reduce((n, m) => n + m.numParameters(), 0),
      macs: p.macs,
    };
    shape = p.shape;
    return row;
  });
}

/** A whole network's profile from its stage rows. */
export function profileOf(stages: readonly StageInfo[]): ShapeProfile {
  return { shape: stages[stages.length - 1]!.outputShape, macs: stages.reduce((n, s) => n + s.macs, 0) };
}
