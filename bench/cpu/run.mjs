#!/usr/bin/env node
// archai's PyTorch Shake-Shake model and archai-ts side by side on the CPU: same model, batch, mode,
// warm-up/timed steps and cores, one after the other in one run; prints a table with the ratios.
//
//   node bench/cpu/run.mjs [--model shake_resnet26_2x32d] [--batch 32] [--modes train,eval]
//                          [--warmup 2] [--steps 5] [--rounds 1] [--threads 2] [--replicas N] [--ts-threads 1]
//                          [--backend wasm] [--timeout-s 900]
//                          [--archai-git /work/.mirror/microsoft+archai/repo] [--python /usr/bin/python3]
//
// archai's files are read out of the git mirror into the git-ignored .archai/ at run time (never
// committed). PyTorch: torch.set_num_threads(threads). archai-ts: the built `archai-ts bench` with `replicas` data-parallel replicas (default: threads, one per core) and `ts-threads` XNNPACK
// threads each (ARCHAI_TS_WASM_THREADS; default 1). With --rounds R the pair runs R times, alternating,
// and the table gives the medians and the median of the per-round ratios: a shared machine's speed
// drifts between runs, and a ratio taken within one round cancels most of that drift.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../flags.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = parseFlags();
const o = {
  model: args.model ?? 'shake_resnet26_2x32d',
  batch: Number(args.batch ?? 32),
  modes: (args.modes ?? 'train,eval').split(','),
  warmup: Number(args.warmup ?? 2),
  steps: Number(args.steps ?? 5),
  rounds: Number(args.rounds ?? 1),
  threads: Number(args.threads ?? cpus().length),
  replicas: Number(args.replicas ?? args.threads ?? cpus().length),
  tsThreads: Number(args['ts-threads'] ?? 1),
  timeoutS: Number(args['timeout-s'] ?? 900),
  backend: args.backend ?? 'wasm',
  archaiGit: args['archai-git'] ?? process.env.ARCHAI_GIT ?? '/work/.mirror/microsoft+archai/repo',
  python: args.python ?? process.env.TORCH_PYTHON ?? '/usr/bin/python3',
};

// archai's Shake-Shake package into .archai/ (empty __init__.py files of our own on the way down).
const PKG = 'archai/supergraph/models/shakeshake';
const base = join(root, '.archai');
const git = (...a) => execFileSync('git', [`--git-dir=${o.archaiGit}`, ...a], { encoding: 'utf8' });
const commit = git('rev-parse', 'HEAD^{commit}').trim();
let d = base;
for (const part of PKG.split('/')) {
  d = join(d, part);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, '__init__.py'), '');
}
for (const f of ['shakeshake.py', 'shake_resnet.py', 'shake_resnext.py'])
  writeFileSync(join(base, PKG, f), git('show', `${commit}:${PKG}/${f}`));

function runJson(cmd, argv, env = {}) {
  const r = spawnSync(cmd, argv, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 26,
    timeout: o.timeoutS * 1000,
    killSignal: 'SIGKILL',
  });
  const line = (r.stdout ?? '')
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) {
    console.error(`${cmd} ${argv.join(' ')} failed (status ${r.status}, signal ${r.signal}):\n${(r.stderr ?? '').slice(-2000)}`);
    return { images_per_s: NaN, failed: true };
  }
  return JSON.parse(line);
}

// The built CLI, as users run it (npm install builds it; `npm run build` after changing the sources).
const cli = join(root, 'dist/cli/main.js');
if (!existsSync(cli)) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
const rows = [];
const median = (xs) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? (v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : NaN;
};
for (const mode of o.modes) {
  const rounds = [];
  for (let r = 0; r < o.rounds; r++) {
    const torch = runJson(
      o.python,
      [
        join(root, 'bench/torch_bench.py'),
        '--archai',
        base,
        '--device',
        'cpu',
        '--models',
        o.model,
        '--modes',
        mode,
        '--batch',
        String(o.batch),
        '--warmup',
        String(o.warmup),
        '--steps',
        String(o.steps),
        '--threads',
        String(o.threads),
      ],
      { OMP_NUM_THREADS: String(o.threads) },
    );
    const ts = runJson(
      process.execPath,
      [
        cli,
        'bench',
        '--json',
        '--model',
        o.model,
        '--mode',
        mode,
        '--batch',
        String(o.batch),
        '--warmup',
        String(o.warmup),
        '--steps',
        String(o.steps),
        '--backend',
        o.backend,
        '--replicas',
        String(o.replicas),
      ],
      { ARCHAI_TS_WASM_THREADS: o.tsThreads > 1 ? String(o.tsThreads) : '' },
    );
    rounds.push({ torch, ts, ratio: ts.images_per_s / torch.images_per_s });
  }
  rows.push({
    mode,
    rounds,
    torch: median(rounds.map((x) => x.torch.images_per_s)),
    ts: median(rounds.map((x) => x.ts.images_per_s)),
    ratio: median(rounds.map((x) => x.ratio)),
    torchVersion: rounds[0].torch.torch,
  });
}

const cpu = cpus()[0]?.model ?? '?';
console.log(
  `archai ${commit.slice(0, 12)} (PyTorch ${rows[0].torchVersion}, ${o.threads} threads) vs archai-ts (${o.backend}, ${o.replicas} replica(s) of ${o.tsThreads} thread(s)); ${o.model}, batch ${o.batch}, warm-up ${o.warmup}, ${o.steps} timed steps (median), ${o.rounds} round(s)`,
);
console.log(
  `machine: ${cpus().length} x ${cpu}; node ${process.version}; load average at the end ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
console.log('');
console.log('| mode | PyTorch img/s | archai-ts img/s | archai-ts / PyTorch | per round |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) {
  const each = r.rounds.map((x) => `${x.ts.images_per_s}/${x.torch.images_per_s}=${x.ratio.toFixed(3)}`).join(', ');
  console.log(`| ${r.mode} | ${r.torch} | ${r.ts} | ${r.ratio.toFixed(3)} | ${each} |`);
}
if (args.json != null) console.log(JSON.stringify(rows));
