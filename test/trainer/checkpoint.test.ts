import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/tf.js';
import { CheckpointError, readCheckpoint, writeCheckpoint, type TrainingState } from '../../src/trainer/checkpoint.js';

const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-ckpt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const state: TrainingState = {
  epoch: 1,
  batch: 0,
  step: 5,
  rng: [1, 2, 3, 4],
  partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
  history: [],
  best: null,
  model: 'm',
  backend: 'cpu',
  replicas: 1,
  config: 'x: 1\n',
};

describe('checkpoints', () => {
  it('name the file when corrupt or truncated', async () => {
    await tf.setBackend('cpu');
    const path = join(tmp, 'c.safetensors');
    await writeCheckpoint(path, { state, model: { w: tf.tensor1d([1, 2, 3]) }, optimizer: {}, optimizerStep: 5 });
    expect((await readCheckpoint(path)).state.step).toBe(5);
    const bytes = readFileSync(path);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 2] ^= 0xff;
    writeFileSync(join(tmp, 'flipped.safetensors'), flipped);
    await expect(readCheckpoint(join(tmp, 'flipped.safetensors'))).rejects.toThrow(
      /flipped\.safetensors is corrupt: its tensors do not match their checksum/,
    );
    writeFileSync(join(tmp, 'cut.safetensors'), bytes.subarray(0, bytes.length - 5));
    await expect(readCheckpoint(join(tmp, 'cut.safetensors'))).rejects.toThrow(CheckpointError);
    await expect(readCheckpoint(join(tmp, 'cut.safetensors'))).rejects.toThrow(/cut\.safetensors is corrupt or truncated/);
  });

  it('survive a kill at any moment of a write: the last one stays loadable and whole', async () => {
    for (const delay of [5, 37, 111, 230]) {
      const dir = join(tmp, `kill-${delay}`);
      const { mkdirSync } = await import('node:fs');
      mkdirSync(dir);
      const child = fork(new URL('./checkpoint_child.ts', import.meta.url).pathname, [dir], {
        execArgv: ['--import', 'tsx'],
        stdio: 'ignore',
      });
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      });
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const ck = await readCheckpoint(join(dir, 'last.safetensors'));
      const k = ck.state.step;
      expect(k).toBeGreaterThanOrEqual(1);
      expect(new Set(ck.model.a.data)).toEqual(new Set([k]));
      expect(new Set(ck.optimizer['a.momentum_buffer'].data)).toEqual(new Set([k]));
      expect(readdirSync(dir).filter((f) => f.endsWith('.safetensors') && !f.includes('.tmp-')).length).toBeGreaterThanOrEqual(2);
    }
  }, 60_000);
});
