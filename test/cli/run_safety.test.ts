/**
 * Runs a user can always stop, resume or reuse: signals on one thread, one writer per folder, no
 * dead-end folders, checked resumes, checkpoint choice, temp-file clean-up, weights files, and
 * one-line file-system errors. Every child process is bounded in time and killed at the end.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../src/io/index.js';
import { readCheckpoint } from '../../src/trainer/checkpoint.js';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-safety-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(r: ReturnType<typeof run>, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** A training process; `onLine` sees stderr as it grows and may signal the child. */
function start(args: string[], onStderr: (text: string, child: ChildProcess) => void = () => {}) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    onStderr(stderr, child);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stderr });
    }),
  );
  return { child, exit };
}

/** 40 steps of a tiny model on one thread: long enough to be stopped in the middle. */
const long = `model: {name: shake_resnet8_2x4d, num_classes: 4}
backend: wasm
data: {dataset: synthetic, batch_size: 4, synthetic: {train_size: 160, test_size: 16}}
trainer: {epochs: 1, log_every: 1, replicas: 1}
`;
const short = `model: {name: shake_resnet8_2x4d, num_classes: 4}
backend: wasm
data: {dataset: synthetic, batch_size: 8, synthetic: {train_size: 16, test_size: 8}}
trainer: {epochs: 2, log_every: 1, checkpoint_every: 1, keep_checkpoints: 5}
`;
writeFileSync(join(tmp, 'long.yaml'), long);
writeFileSync(join(tmp, 'short.yaml'), short);

const checkpointOf = (dir: string, name = 'last') => readCheckpoint(join(dir, 'checkpoints', `${name}.safetensors`));

describe.skipIf(!existsSync(CLI))('run safety', () => {
  it('stops in the middle of the only epoch on one thread: exit 130, a checkpoint near the signal, and resume finishes', async () => {
    const out = join(tmp, 'one-thread');
    let signalled = 0;
    // 200 steps: a loaded test machine may take a while to deliver the signal, never that long.
    const { exit } = start(['train', '--config', 'long.yaml', '--out', out, '--set', 'data.synthetic.train_size=800'], (text, child) => {
      const m = /batch (\d+):/.exec(text);
      if (m && !signalled) {
        signalled = Number(m[1]);
        child.kill('SIGINT');
      }
    });
    const r = await exit;
    expect(r.code, r.stderr).toBe(130);
    const { state } = await checkpointOf(out);
    expect(state.epoch).toBe(0);
    expect(state.batch).toBeGreaterThanOrEqual(signalled);
    expect(state.batch).toBeLessThan(signalled + 50);
    const resumed = run('train', '--resume', out, '--quiet');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await checkpointOf(out)).state.epoch).toBe(1);
  }, 120_000);

  it('waits for the checkpoint on a second Ctrl-C, saying so, and quits at once on a third', async () => {
    const two = join(tmp, 'two-signals');
    // One signal at a time (the kernel merges a signal sent while the same one is pending).
    const signalOn = (steps: RegExp[]) => {
      let sent = 0;
      return (text: string, child: ChildProcess) => {
        if (sent < steps.length && steps[sent]!.test(text)) {
          sent += 1;
          child.kill('SIGINT');
        }
      };
    };
    const first = start(
      ['train', '--config', 'long.yaml', '--out', two, '--set', 'data.synthetic.train_size=800'],
      signalOn([/batch 2:/, /SIGINT: finishing the step/]),
    );
    const r2 = await first.exit;
    expect(r2.stderr).toMatch(/still writing the checkpoint, waiting for it/);
    expect(r2.code).toBe(130);
    expect((await checkpointOf(two)).state.batch).toBeGreaterThan(0);
    const three = join(tmp, 'three-signals');
    const second = start(
      ['train', '--config', 'long.yaml', '--out', three, '--set', 'data.synthetic.train_size=800'],
      signalOn([/batch 2:/, /SIGINT: finishing the step/, /SIGINT: still writing/]),
    );
    const r3 = await second.exit;
    expect(r3.stderr).toMatch(/quitting without a checkpoint/);
    expect(r3.code).toBe(130);
  }, 120_000);

  it('lets one process write a run folder: a second train or resume is refused in one line', async () => {
    const out = join(tmp, 'locked');
    let second: ReturnType<typeof run> | null = null;
    let resume: ReturnType<typeof run> | null = null;
    // Long enough that the first run is still going while the others start (they are stopped after).
    const { exit } = start(['train', '--config', 'long.yaml', '--out', out, '--set', 'data.synthetic.train_size=4000'], (text, child) => {
      if (/batch 1:/.test(text) && !second) {
        second = run('train', '--config', 'long.yaml', '--out', out);
        resume = run('train', '--resume', out);
        child.kill('SIGINT');
      }
    });
    await exit;
    expectOneLineError(second!, /locked is in use by another archai-ts process \(pid \d+, since /);
    expectOneLineError(resume!, /is in use by another archai-ts process/);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  }, 120_000);

  it('writes nothing when the model, backend, data or resume checkpoint is bad', async () => {
    for (const [i, args] of [
      ['--set', 'model.name=shake_resnet26_2x33d'],
      ['--set', 'backend=tensorflow'],
      ['--set', 'data.dataset=cifar10', '--set', 'model.num_classes=10', '--set', 'data.root=nowhere'],
    ].entries()) {
      const out = join(tmp, `bad-${i}`);
      const r = run('train', '--config', 'short.yaml', '--out', out, ...args);
      expect(r.code, r.stderr).toBe(2);
      expect(existsSync(out), `${args.join(' ')} left ${out}`).toBe(false);
    }
    const out = join(tmp, 'corrupt');
    expect(run('train', '--config', 'short.yaml', '--out', out, '--quiet').code).toBe(0);
    const before = readdirSync(join(out, 'checkpoints')).sort();
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
    writeFileSync(join(out, 'checkpoints', 'last.safetensors'), 'garbage');
    const r = run('train', '--resume', out, '--set', 'trainer.epochs=3');
    expectOneLineError(r, /last\.safetensors is corrupt or truncated .*; resume from another with --from \(best, step-\d+/);
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(before);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(metrics);
    // The other checkpoints are copies, not links to the damaged file.
    const fromBest = run('train', '--resume', out, '--from', 'best', '--set', 'trainer.epochs=3', '--quiet');
    expect(fromBest.code, fromBest.stderr).toBe(0);
    expect(statSync(join(out, 'checkpoints', 'last.safetensors')).nlink).toBe(1);
    expect((await checkpointOf(out)).state.epoch).toBe(3);
  }, 120_000);

  it('restarts a folder whose run stopped before its first checkpoint, with --out or --resume', () => {
    for (const how of ['out', 'resume'] as const) {
      const out = join(tmp, `no-checkpoint-${how}`);
      mkdirSync(join(out, 'checkpoints'), { recursive: true });
      writeFileSync(join(out, 'config.yaml'), short);
      const r = how === 'out' ? run('train', '--config', 'short.yaml', '--out', out) : run('train', '--resume', out);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        how === 'out'
          ? /stopped before its first checkpoint: starting it again/
          : /holds no checkpoint yet .*starting it from the beginning/,
      );
      expect(existsSync(join(out, 'checkpoints', 'last.safetensors'))).toBe(true);
    }
  }, 120_000);

  it('refuses a resume whose config changes results, naming the key, unless allowed; more epochs are fine', () => {
    const out = join(tmp, 'identity');
    expect(run('train', '--config', 'short.yaml', '--out', out, '--quiet').code).toBe(0);
    writeFileSync(join(out, 'config.yaml'), readFileSync(join(out, 'config.yaml'), 'utf8').replace(/^(\s+)lr: 0\.2$/m, '$1lr: 0.5'));
    expectOneLineError(
      run('train', '--resume', out, '--set', 'trainer.epochs=3'),
      /cannot resume .*identity: trainer\.optimizer\.lr is 0\.5 but the run was trained with 0\.2, .*--allow-config-change trainer\.optimizer\.lr/,
    );
    expectOneLineError(
      run('train', '--resume', out, '--set', 'data.batch_size=4', '--allow-config-change', 'trainer.optimizer.lr'),
      /data\.batch_size is 4 but the run was trained with 8/,
    );
    const ok = run('train', '--resume', out, '--set', 'trainer.epochs=3', '--allow-config-change', 'trainer.optimizer.lr', '--quiet');
    expect(ok.code, ok.stderr).toBe(0);
  }, 120_000);

  it('resumes from a chosen checkpoint and removes the temp files of interrupted writes', async () => {
    const out = join(tmp, 'from');
    expect(run('train', '--config', 'short.yaml', '--out', out, '--quiet').code).toBe(0);
    const steps = readdirSync(join(out, 'checkpoints')).filter((f) => f.startsWith('step-'));
    expect(steps).toHaveLength(2);
    const first = steps.sort()[0]!.replace('.safetensors', '');
    const temps = [join(out, 'checkpoints', 'step-00000009.safetensors.tmp-99999-abcdef'), join(out, 'summary.csv.tmp-99999-0123ab')];
    for (const t of temps) writeFileSync(t, 'half a write');
    expectOneLineError(run('train', '--resume', out, '--from', 'step-77'), /has no checkpoint 'step-77'; it has last, best, step-/);
    const r = run('train', '--resume', out, '--from', first, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    for (const t of temps) expect(existsSync(t), t).toBe(false);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(metrics.map((l) => JSON.parse(l).epoch)).toEqual([1, 2]);
  }, 120_000);

  it('scores plain weights with --config, and refuses --data on a synthetic run', async () => {
    const out = join(tmp, 'weights');
    expect(run('train', '--config', 'short.yaml', '--out', out, '--quiet').code).toBe(0);
    const ckpt = await checkpointOf(out);
    writeFileSync(join(tmp, 'w.safetensors'), encodeSafetensors(ckpt.model));
    const plain = run('eval', '--checkpoint', 'w.safetensors', '--config', 'short.yaml', '--json');
    expect(plain.code, plain.stderr).toBe(0);
    const run1 = JSON.parse(run('eval', '--checkpoint', out, '--json').stdout);
    expect(JSON.parse(plain.stdout).top1).toBe(run1.top1);
    expect(JSON.parse(plain.stdout).epoch).toBe(null);
    expectOneLineError(
      run('eval', '--checkpoint', 'w.safetensors'),
      /not an archai-ts training checkpoint.*give the config too \(eval --config FILE\)/,
    );
    expectOneLineError(
      run('eval', '--checkpoint', out, '--data', 'somewhere'),
      /--data somewhere: this run trained on the synthetic dataset/,
    );
  }, 120_000);

  it('reports file-system errors on the run folder in one line naming the path', () => {
    writeFileSync(join(tmp, 'a-file'), 'x');
    expectOneLineError(
      run('train', '--config', 'short.yaml', '--out', join(tmp, 'a-file', 'run')),
      /cannot create the run folder .*a-file\/run: a file stands where a folder is needed; choose another --out/,
    );
  });

  it('on a terminal, moves the bar every step and during evaluation; says which backend it chose; prints --version', () => {
    const out = join(tmp, 'tty');
    const r = spawnSync(
      'script',
      [
        '-qec',
        `${process.execPath} ${CLI} train --config long.yaml --out ${out} --set trainer.log_every=50 --set data.synthetic.train_size=800`,
        '/dev/null',
      ],
      {
        cwd: tmp,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(r.status, r.stdout).toBe(0);
    const counts = new Set([...r.stdout.matchAll(/epoch 1\/1 \[[^\]]*\] (\d+)\/200/g)].map((m) => Number(m[1])));
    expect(counts.size).toBeGreaterThan(10);
    expect(r.stdout).toMatch(/epoch 1\/1 test \[[^\]]*\] \d+\/\d+/);
    expect(r.stdout).toMatch(/backend wasm/);
    expect(run('--version').stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  }, 120_000);
});
