/**
 * What a resume may change of a run's config. A run resumed is only the run continued when nothing
 * that alters its results differs: the keys below do not (where the data lives, how often to log or
 * checkpoint, where to stop, threads and backend, which a warning covers), and `trainer.epochs`
 * may grow (the schedule then spans the new length). Anything else needs the user's explicit `allowed` list.
 */
import { type ExperimentConfig, parseConfigText } from '../config/index.js';
import { ResumeError } from './errors.js';

const HARMLESS = [
  'backend',
  'data.root',
  'data.download',
  'data.download_url',
  'data.download_md5',
  'data.workers',
  'data.eval_batch_size',
  'trainer.replicas',
  'trainer.log_every',
  'trainer.eval_every',
  'trainer.checkpoint_every',
  'trainer.keep_checkpoints',
  'trainer.stop_after_epochs',
];

export interface ConfigChange {
  key: string;
  was: unknown;
  now: unknown;
}

function leaves(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/** Every leaf key whose value differs between two resolved configs. */
export function configChanges(before: ExperimentConfig, after: ExperimentConfig): ConfigChange[] {
  const a = leaves(before, '', new Map());
  const b = leaves(after, '', new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .map((key) => ({ key, was: a.get(key), now: b.get(key) }));
}

const covers = (prefix: string, key: string) => key === prefix || key.startsWith(`${prefix}.`);

/**
 * The changes a resume of `runDir` would make to the config its checkpoint was written with;
 * throws ResumeError on the first one that alters results and is not in `allowed` (keys or key
 * prefixes). Returns the accepted changes that do alter results, for the log.
 */
export function checkResumeConfig(
  runDir: string,
  checkpointConfig: string,
  config: ExperimentConfig,
  allowed: readonly string[],
): ConfigChange[] {
  let before: ExperimentConfig;
  try {
    before = parseConfigText(checkpointConfig, `${runDir} (the checkpoint's config)`);
  } catch {
    // A config from another archai-ts version: nothing to compare key by key.
    return [];
  }
  const changes = configChanges(before, config).filter((c) => !HARMLESS.some((h) => covers(h, c.key)));
  for (const c of changes) {
    const grows = c.key === 'trainer.epochs' && Number(c.now) > Number(c.was);
    if (grows || allowed.some((a) => covers(a, c.key))) continue;
    throw new ResumeError(
      `cannot resume ${runDir}: ${c.key} is ${JSON.stringify(c.now)} but the run was trained with ${JSON.stringify(c.was)}, ` +
        `which changes its results; undo the change, or pass --allow-config-change ${c.key} to continue with it anyway`,
    );
  }
  return changes;
}
