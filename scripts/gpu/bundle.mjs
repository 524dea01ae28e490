#!/usr/bin/env node
// Builds .bundle/app.tar.xz: this machine's node binary, the built package (dist/, package.json)
// and only those files of node_modules that the benchmark and the webgpu check load, found by
// running them here under scripts/gpu/trace-deps.mjs. Run by `bash scripts/gpu-check.sh prepare`
// after `npm run build`.
//
//   node scripts/gpu/bundle.mjs [--out .bundle] [--xz-level 9]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const OUT = resolve(ROOT, opt('--out', '.bundle'));
const XZ_LEVEL = opt('--xz-level', '9');
const NM = join(ROOT, 'node_modules');
const CLI = join(ROOT, 'dist/cli/main.js');

if (!existsSync(CLI)) {
  console.error('bundle: dist/cli/main.js is missing; run `npm run build` first');
  process.exit(1);
}

// 1. Trace the runs the device script makes (small shapes; the files loaded do not depend on size).
const trace = join(mkdtempSync(join(tmpdir(), 'archai-trace-')), 'files.txt');
const bench = (...a) => [
  CLI,
  'bench',
  '--model',
  'shake_resnet8_2x8d',
  '--batch',
  '2',
  '--warmup',
  '1',
  '--steps',
  '1',
  '--image-size',
  '8',
  '--json',
  ...a,
];
const runs = [
  bench('--backend', 'cpu', '--profile'),
  bench('--backend', 'wasm', '--mode', 'eval'),
  bench('--backend', 'webgpu', '--profile'),
  bench('--backend', 'auto'),
  [join(ROOT, 'scripts/gpu/webgpu-check.mjs'), '--app', ROOT, '--quick', '--reference', 'cpu'],
];
for (const argv of runs) {
  const r = spawnSync(process.execPath, ['--import', join(ROOT, 'scripts/gpu/trace-deps.mjs'), ...argv], {
    env: { ...process.env, TRACE_DEPS_OUT: trace },
    encoding: 'utf8',
    cwd: tmpdir(),
  });
  const tail = (r.stderr || '')
    .split('\n')
    .filter((l) => l && !l.startsWith('Warning: max'))
    .slice(-3)
    .join(' | ');
  console.error(`bundle: traced ${argv.slice(1, 4).join(' ')} ... (exit ${r.status})${r.status ? `: ${tail}` : ''}`);
  if (r.status !== 0 && !argv.includes('webgpu')) process.exit(1);
}

// 2. The dependency files: every traced file under node_modules, each package.json between it and
//    node_modules (Node reads "type", "main" and "exports" there), and the wasm binaries (read with fs).
const files = new Set();
for (const line of readFileSync(trace, 'utf8').split('\n')) {
  const f = line.trim();
  if (!f.startsWith(NM + sep) || !existsSync(f)) continue;
  files.add(f);
  for (let d = dirname(f); d.startsWith(NM + sep); d = dirname(d)) {
    const pj = join(d, 'package.json');
    if (existsSync(pj)) files.add(pj);
  }
}
const wasmDist = join(NM, '@tensorflow/tfjs-backend-wasm/dist');
for (const f of readdirSync(wasmDist)) if (f.endsWith('.wasm')) files.add(join(wasmDist, f));
for (const must of ['webgpu/dist/linux-x64/dawn.node', '@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.node.js']) {
  if (!files.has(join(NM, must))) {
    console.error(`bundle: ${must} was not loaded by the traced runs; is the webgpu backend installed?`);
    process.exit(1);
  }
}

// 3. Stage: bin/node, app/{package.json, dist, node_modules}.
const stage = mkdtempSync(join(tmpdir(), 'archai-stage-'));
mkdirSync(join(stage, 'bin'));
cpSync(process.execPath, join(stage, 'bin/node'));
const app = join(stage, 'app');
mkdirSync(app);
cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
cpSync(join(ROOT, 'dist'), join(app, 'dist'), {
  recursive: true,
  filter: (src) => !src.endsWith('.map') && !src.endsWith('.d.ts'),
});
let depBytes = 0;
for (const f of files) {
  const to = join(app, 'node_modules', relative(NM, f));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(f, to);
  depBytes += statSync(f).size;
}
let commit = 'unknown';
try {
  commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  if (execFileSync('git', ['-C', ROOT, 'status', '--porcelain'], { encoding: 'utf8' }).trim()) commit += '+dirty';
} catch {
  // not a git checkout
}
const manifest = {
  made: new Date().toISOString(),
  commit,
  node: process.version,
  files: files.size,
  dependencyBytes: depBytes,
  packages: [
    ...new Set(
      [...files].map((f) => {
        const parts = relative(NM, f).split(sep);
        return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
      }),
    ),
  ].sort(),
};
writeFileSync(join(app, 'bundle-manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

// 4. Pack.
mkdirSync(OUT, { recursive: true });
const tarball = join(OUT, 'app.tar.xz');
rmSync(tarball, { force: true });
execFileSync('bash', ['-c', `tar -C "$1" -cf - bin app | xz -T0 -${XZ_LEVEL} > "$2"`, 'pack', stage, tarball], { stdio: 'inherit' });
writeFileSync(join(OUT, 'bundle-manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
rmSync(stage, { recursive: true, force: true });
rmSync(dirname(trace), { recursive: true, force: true });
const mb = (b) => (b / 2 ** 20).toFixed(1);
console.error(
  `bundle: ${tarball} ${mb(statSync(tarball).size)} MiB (node ${process.version}, ${files.size} dependency files, ${mb(depBytes)} MiB unpacked, commit ${commit})`,
);
