import { BACKEND_NAMES, BackendError, type BackendName, isBackendName } from '../src/backend/index.js';
import { ConfigError } from '../src/config/index.js';
import { DataError } from '../src/data/index.js';
import { SafetensorsError } from '../src/io/index.js';
import { StateDictError } from '../src/nn/module.js';
import { ModelOptionsError, UnknownModelError } from '../src/registry/index.js';
import { CheckpointError } from '../src/trainer/checkpoint.js';
import { ReplicaCountError } from '../src/parallel/replicas.js';
import { ResumeError, RunFolderError } from '../src/trainer/index.js';

/**
 * Bad input from the user (a flag, a file, a name): one line saying what, where and how to fix
 * it, exit code 2, no stack trace unless --verbose.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Error classes of the library that mean "the input is wrong", not "archai-ts is broken". */
const INPUT_ERRORS: Array<new (...args: never[]) => Error> = [
  UsageError,
  UnknownModelError,
  ModelOptionsError,
  SafetensorsError,
  StateDictError,
  BackendError,
  ConfigError,
  DataError,
  CheckpointError,
  ResumeError,
  RunFolderError,
  ReplicaCountError,
];

export function isInputError(e: unknown): boolean {
  return e instanceof Error && INPUT_ERRORS.some((cls) => e instanceof cls);
}

/** Prints the error and gives the exit code: 2 for bad input, 1 for anything else. */
export function reportError(e: unknown, verbose: boolean): number {
  const input = isInputError(e);
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`archai-ts: ${input ? '' : 'error: '}${message.split('\n')[0]}\n`);
  if (verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  else if (!input) process.stderr.write('(run with --verbose for the stack trace)\n');
  return input ? 2 : 1;
}

/** A flag that must be an integer of at least `min`. */
export function intFlag(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`${flag} must be an integer >= ${min}, got '${value}'`);
  }
  return n;
}

/** --replicas: 'auto' or a count of at least 1. */
export function replicasFlag(value: string | undefined): 'auto' | number {
  return value == null || value === 'auto' ? 'auto' : intFlag('--replicas', value, 1);
}

/** --backend: one of the backends' names. */
export function backendFlag(value: string): BackendName {
  if (!isBackendName(value)) throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}, got '${value}'`);
  return value;
}

/** What --backend's help says. */
export const BACKEND_HELP = `tfjs backend: ${BACKEND_NAMES.join(' | ')}`;
