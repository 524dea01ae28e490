#!/usr/bin/env node
// Turns the files of a device run (env.json, check.jsonl, bench.jsonl from `gpu-check.sh device`)
// into bench/results/<card>-<date>.md, with the raw lines beside it as <card>-<date>.jsonl.
//
//   node scripts/gpu/report.mjs DIR [--out bench/results]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const [dir, ...rest] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/gpu/report.mjs DIR [--out bench/results]');
  process.exit(2);
}
const outDir = resolve(ROOT, rest[rest.indexOf('--out') + 1] && rest.includes('--out') ? rest[rest.indexOf('--out') + 1] : 'bench/results');

const read = (f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
const lines = (f) =>
  read(f)
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return null;
      }
    })
    .filter(Boolean);

let env = {};
try {
  env = JSON.parse(read('env.json') || '{}');
} catch {
  env = {};
}
const checks = lines('check.jsonl');
const bench = lines('bench.jsonl');
const runs = bench.filter((b) => b.model && b.images_per_s != null);

const adapterOf = (b) => b.adapter?.device || b.adapter?.description || '';
const card = env.gpu?.split(',')[0] || runs.map(adapterOf).find(Boolean) || (env.local ? `local-${env.backend ?? 'cpu'}` : 'unknown-card');
const slug = card
  .toLowerCase()
  .replace(/^nvidia\s+/, '')
  .replace(/[^a-z0-9]+/g, '-')
  .replace(/^-|-$/g, '');
const date = (env.date ?? new Date().toISOString()).slice(0, 10);
const base = `${slug}-${date}`;

const label = (b) =>
  b.backend.startsWith('pytorch')
    ? `archai PyTorch ${b.torch ?? ''} ${b.precision ?? 'fp32'}`
    : `archai-ts ${b.backend}${b.filter_grad === 'im2col' ? ' (im2col dW)' : ''}`;
const configs = [...new Set(runs.map((b) => `${b.model}|${b.mode}|${b.batch}`))];
const md = [];
md.push(`# ${card}: archai-ts vs archai (PyTorch), ${date}`, '');
md.push(
  `Made by \`bash scripts/gpu-check.sh report\` from a run of \`bash scripts/gpu-check.sh device\`${env.local ? ' (local dry run: not GPU numbers)' : ''}.`,
  '',
);
md.push('| | |', '| --- | --- |');
for (const [k, v] of Object.entries({
  GPU: env.gpu,
  'host CPU': env.host_cpu && `${env.host_cpu} (${env.cpus} cores)`,
  node: env.node,
  'archai-ts bundle': env.bundle && `${env.bundle.commit} (${env.bundle.made})`,
  'archai revision': env.archai_revision,
  protocol: `random 32x32 input, ${env.warmup ?? '?'} warm-up + ${env.steps ?? '?'} timed steps, median; SGD Nesterov 0.9, lr 0.2, wd 1e-4; each step synchronised by one small read`,
})) {
  if (v) md.push(`| ${k} | ${String(v).replace(/\|/g, '/')} |`);
}
md.push('');

md.push('## Throughput (images/s; median step ms)', '');
const labels = [...new Set(runs.map(label))];
md.push(`| model | mode | batch | ${labels.join(' | ')} |`, `| --- | --- | --- | ${labels.map(() => '---').join(' | ')} |`);
for (const c of configs) {
  const [model, mode, batch] = c.split('|');
  const cells = labels.map((l) => {
    const b = runs.find((r) => `${r.model}|${r.mode}|${r.batch}` === c && label(r) === l);
    return b ? `${b.images_per_s} (${b.step_ms_median} ms)` : '-';
  });
  md.push(`| ${model} | ${mode} | ${batch} | ${cells.join(' | ')} |`);
}
md.push('');
const ours = runs.filter((b) => !b.backend.startsWith('pytorch'));
if (ours.length) {
  md.push(
    'archai-ts runs: ' +
      ours
        .map(
          (b) =>
            `${b.model} ${b.mode}: first step ${b.first_step_ms} ms, peak RSS ${b.peak_rss_mb} MiB${b.leaked_tensors ? `, LEAKED ${b.leaked_tensors} tensors` : ''}`,
        )
        .join('; ') +
      '.',
    '',
  );
  const a = ours.find((b) => b.adapter)?.adapter;
  if (a) md.push(`WebGPU adapter: ${JSON.stringify(a)}`, '');
}
const failed = bench.filter((b) => b.failed || b.skipped);
if (failed.length)
  md.push(
    'Not run or failed: ' +
      failed.map((b) => `${b.failed ?? b.skipped} (${b.exit != null ? `exit ${b.exit}` : b.reason})`).join('; ') +
      '.',
    '',
  );

if (checks.length) {
  md.push('## Correctness (scripts/gpu/webgpu-check.mjs)', '');
  const summary = checks.find((c) => c.check === 'summary');
  md.push(
    `Summary: ${summary ? (summary.ok ? 'all checks passed' : `${summary.failures} check(s) FAILED`) : 'no summary line (the check did not finish)'}.`,
    '',
  );
  md.push('| check | max rel. diff | tol | ok | details |', '| --- | --- | --- | --- | --- |');
  for (const c of checks.filter((c) => c.max_rel_diff != null)) {
    const details = c.x
      ? `x ${c.x.join('x')}, w ${c.w.join('x')}, s${c.strides} ${c.pad}`
      : c.model
        ? `${c.model} b${c.batch ?? ''}${c.worst_at ? `, worst at ${c.worst_at}` : ''}`
        : '';
    md.push(`| ${c.check} | ${Number(c.max_rel_diff).toExponential(2)} | ${c.tol} | ${c.ok ? 'yes' : '**no**'} | ${details} |`);
  }
  for (const c of checks.filter((c) => ['auto', 'webgpu_errors', 'train_step_tensors'].includes(c.check))) {
    md.push('', `- ${c.check}: ${JSON.stringify(Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'check')))}`);
  }
  md.push('');
}

const profiled = ours.filter((b) => b.profile);
if (profiled.length) {
  md.push('## Kernel profile of one training step (archai-ts)', '');
  for (const b of profiled) {
    const p = b.profile;
    md.push(
      `### ${b.model} ${b.mode}, batch ${b.batch} (${p.method} timing; ${p.kernelCalls} kernel calls; ${p.totalMs} ms in kernels; profiled step ${p.wallMs} ms)`,
      '',
    );
    md.push('| kernel | calls | ms | self ms | % |', '| --- | --- | --- | --- | --- |');
    for (const k of p.kernels.slice(0, 15))
      md.push(
        `| ${k.nested ? '&nbsp;&nbsp;' : ''}${k.name}${k.nested ? ' (nested)' : ''} | ${k.calls} | ${k.ms.toFixed(2)} | ${k.selfMs.toFixed(2)} | ${k.pct} |`,
      );
    md.push('');
  }
}

mkdirSync(outDir, { recursive: true });
const mdPath = join(outDir, `${base}.md`);
writeFileSync(mdPath, md.join('\n'));
writeFileSync(join(outDir, `${base}.jsonl`), [...checks, ...bench, { env }].map((o) => JSON.stringify(o)).join('\n') + '\n');
console.error(`report: ${mdPath} and ${base}.jsonl`);
