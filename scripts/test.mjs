#!/usr/bin/env node
// Runs the suite with vitest's JSON reporter beside the usual one and ends with the plain line
// "N passed, N failed, N skipped", which CI reads; a run that executed no test fails.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const report = `${root}.vitest-report.json`;
rmSync(report, { force: true });
const vitest = spawnSync(
  process.execPath,
  [
    `${root}node_modules/vitest/vitest.mjs`,
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit' },
);
let summary;
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  console.log('0 passed, 1 failed');
  console.error('test: vitest wrote no report (it crashed before running the suite)');
  process.exit(vitest.status || 1);
}
const passed = summary.numPassedTests ?? 0;
// A file that failed to load has no test results of its own: count it as one failure.
const brokenFiles = (summary.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
const failed = (summary.numFailedTests ?? 0) + brokenFiles;
const skipped = (summary.numPendingTests ?? 0) + (summary.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : (vitest.status ?? 1));
