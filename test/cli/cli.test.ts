/**
 * The command line as users run it: the built CLI (npm test builds it first) in a child process.
 * Bad input gets one line naming what, where and how to fix, exit code 2, no stack trace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(r: ReturnType<typeof run>, pattern: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const tiny = `model: {name: shake_resnet8_2x4d, num_classes: 4}
backend: wasm
data: {dataset: synthetic, batch_size: 8, synthetic: {train_size: 32, test_size: 16}}
trainer: {epochs: 2, log_every: 1}
`;

describe.skipIf(!existsSync(CLI))('archai-ts CLI', () => {
  it('lists and describes models', () => {
    const list = run('list', 'shake_resnet*');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^shake_resnet: ShakeResNet .*any shake_resnet\{depth\}_2x\{width\}d builds$/);
    expect(list.stdout).toMatch(/\n {2}shake_resnet26_2x32d\s+2,923,146 {2}\(archai: shakeshake26_2x32d\)\n/);
    expect(list.stdout).not.toMatch(/resnext/);
    const json = JSON.parse(run('list', '--json', '--family', 'shake_resnext').stdout) as Array<{ name: string; params: number }>;
    expect(json.map((m) => m.name)).toEqual(['shake_resnext26_2x4x96d', 'shake_resnext29_2x4x64d']);
    expect(json[0]!.params).toBe(22717706);
    const paper = run('describe', 'shake_resnet26_2x32d', '--option', 'variant=paper', '--option', 'shake.forward=even');
    expect(paper.stdout).toMatch(/options shake=\{forward: even, backward: shake, level: image\} variant=paper/);
    expect(paper.stdout).toMatch(/parameters 2,923,178 trainable/);
    const d = run('describe', 'shakeshake26_2x32d');
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/parameters 2,923,146 trainable/);
    expect(d.stdout).toMatch(/layer3\s+4\s+64\s+128\s+2\s+8x8x128/);
  });

  it('gives one clear line and exit 2 for each kind of bad input', () => {
    expectOneLineError(run('describe', 'shake_resnet26_2x32'), /unknown model 'shake_resnet26_2x32'; did you mean 'shake_resnet26_2x32d'/);
    expectOneLineError(run('describe', 'shake_resnet27_2x32d'), /depth must be 6n\+2/);
    expectOneLineError(
      run('describe', 'shake_resnet26_2x32d', '--option', 'dropRate=0.3'),
      /'dropRate' is not an option of shake_resnet26_2x32d/,
    );
    expectOneLineError(run('list', '--family', 'resnet'), /--family must be one of shake_resnet, shake_resnext.*, got 'resnet'/);
    expectOneLineError(run('train', '--config', 'missing.yaml'), /missing\.yaml: cannot read the config: no such file/);
    writeFileSync(join(tmp, 'typo.yaml'), tiny.replace('batch_size', 'batch_sise'));
    expectOneLineError(
      run('train', '--config', 'typo.yaml'),
      /typo\.yaml:3:\d+: data\.batch_sise: unknown key 'batch_sise'; did you mean 'batch_size'\?/,
    );
    writeFileSync(join(tmp, 'tiny.yaml'), tiny);
    expectOneLineError(
      run('train', '--config', 'tiny.yaml', '--set', 'trainer.epoch=3'),
      /--set trainer\.epoch=3: trainer\.epoch: unknown key 'epoch' in trainer; did you mean 'epochs'\?/,
    );
    expectOneLineError(run('train', '--config', 'tiny.yaml', '--set', 'trainer.epochs=ten'), /trainer\.epochs: expected a number/);
    expectOneLineError(run('train', '--config', 'tiny.yaml', '--backend', 'tpu'), /--backend must be one of auto, .*got 'tpu'/);
    writeFileSync(
      join(tmp, 'nodata.yaml'),
      tiny.replace('dataset: synthetic', 'dataset: cifar10, root: ./nowhere').replace('num_classes: 4', 'num_classes: 10'),
    );
    expectOneLineError(run('train', '--config', 'nodata.yaml', '--out', join(tmp, 'nodata-run')), /nowhere/);
    expectOneLineError(run('eval', '--checkpoint', 'nothing-here'), /checkpoint .*nothing-here: no such file/);
    writeFileSync(join(tmp, 'junk.safetensors'), 'not a checkpoint at all');
    expectOneLineError(run('eval', '--checkpoint', 'junk.safetensors'), /junk\.safetensors is corrupt or truncated/);
    expectOneLineError(run('eval', '--checkpoint', 'x', '--split', 'dev'), /--split must be 'test', 'val' or 'train', got 'dev'/);
    // The same flag and wording as bench --replicas.
    expectOneLineError(run('eval', '--checkpoint', 'x', '--replicas', 'two'), /--replicas must be an integer >= 1, got 'two'/);
    expectOneLineError(run('train'), /give --config FILE/);
  });

  it('prints the stack trace only with --verbose', () => {
    const r = run('describe', 'nope_model', '--verbose');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('trains, stops on SIGINT with a checkpoint and exit 130, resumes, and eval reproduces the logged metrics', async () => {
    writeFileSync(join(tmp, 'tiny.yaml'), tiny);
    const out = join(tmp, 'run');
    const child = spawn(process.execPath, [CLI, 'train', '--config', 'tiny.yaml', '--out', out], {
      cwd: tmp,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Interrupt once the first progress line shows the loop is running.
      if (/batch 1:/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(stderr).toMatch(/SIGINT: finishing the step/);
    expect(code).toBe(130);
    expect(existsSync(join(out, 'checkpoints', 'last.safetensors'))).toBe(true);
    const resumed = run('train', '--resume', out, '--quiet');
    expect(resumed.code, resumed.stderr).toBe(0);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.map((m: { epoch: number }) => m.epoch)).toEqual([1, 2]);
    const e = run('eval', '--checkpoint', out, '--json');
    expect(e.code, e.stderr).toBe(0);
    const r = JSON.parse(e.stdout);
    expect([r.top1, r.top5, r.loss, r.n]).toEqual([metrics[1].test_top1, metrics[1].test_top5, metrics[1].test_loss, 16]);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8')).toMatch(/"msg":"epoch 2\/2/);
  }, 120_000);
});
