/** The files of a training run that `serve` hands out, found (or refused) before the server starts. */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { ServeError } from './errors.js';

export interface RunFiles {
  dir: string;
  /** checkpoints/best.safetensors, else checkpoints/last.safetensors. */
  checkpoint: string;
  checkpointName: 'best' | 'last';
  config: string;
  /** Null until the run has finished an epoch. */
  metrics: string | null;
  curves: string | null;
}

const HINT = "pass a run folder that 'archai-ts train' wrote";

/** The run's files; a missing folder, config or checkpoint is a one-line ServeError. */
export async function locateRun(run: string): Promise<RunFiles> {
  const dir = resolve(run);
  const info = await stat(dir).catch(() => null);
  if (!info) throw new ServeError(`run folder ${run} does not exist; ${HINT}`);
  if (!info.isDirectory()) throw new ServeError(`${run} is not a folder; ${HINT}`);
  const config = join(dir, 'config.yaml');
  if (!(await isFile(config))) throw new ServeError(`${run} has no config.yaml, so it is not a run folder; ${HINT}`);
  let checkpointName: 'best' | 'last' | undefined;
  for (const name of ['best', 'last'] as const) {
    if (await isFile(join(dir, 'checkpoints', `${name}.safetensors`))) {
      checkpointName = name;
      break;
    }
  }
  if (!checkpointName) {
    throw new ServeError(`${run} has no checkpoint yet (checkpoints/best.safetensors or last.safetensors); serve it after its first epoch`);
  }
  const optional = async (name: string) => ((await isFile(join(dir, name))) ? join(dir, name) : null);
  return {
    dir,
    checkpoint: join(dir, 'checkpoints', `${checkpointName}.safetensors`),
    checkpointName,
    config,
    metrics: await optional('metrics.jsonl'),
    curves: await optional('curves.svg'),
  };
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}
