#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerBench } from './bench.js';
import { registerDescribe } from './describe.js';
import { reportError } from './errors.js';
import { registerEval } from './eval.js';
import { registerList } from './list.js';
import { registerPlot } from './plot.js';
import { registerSchema } from './schema.js';
import { registerSearch } from './search.js';
import { registerServe } from './serve.js';
import { registerWorker } from './worker.js';
import { registerTrain } from './train.js';
import { tf } from '../src/tf.js';

// tfjs prints an "install the node backend" banner on first use; the CLI reports its backend itself.
tf.env().set('PROD', true);

/** The version of package.json (dist/cli/main.js and cli/main.ts both sit two folders below it or one). */
function packageVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'archai-ts' && pkg.version) return pkg.version;
    } catch {
      // try the next
    }
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('archai-ts')
    .description("archai's model zoo and experiment runner on TensorFlow.js")
    .version(packageVersion(), '--version', 'print the version')
    .option('--verbose', 'print stack traces of errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerList(program);
  registerDescribe(program);
  registerTrain(program);
  registerEval(program);
  registerSchema(program);
  registerBench(program);
  registerPlot(program);
  registerSearch(program);
  registerServe(program);
  registerWorker(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has printed its own message; help and version exit cleanly.
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(e, argv.includes('--verbose'));
  }
}

const code = await main(process.argv);
process.exitCode = code;
