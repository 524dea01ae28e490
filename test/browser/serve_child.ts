/**
 * `archai-ts serve` as its own process, for the signal and exit-code tests: the command as
 * registered by cli/serve.ts, errors reported as cli/main.ts reports them.
 */
import { Command } from 'commander';
import { reportError } from '../../cli/errors.js';
import { registerServe } from '../../cli/serve.js';

const program = new Command('archai-ts').exitOverride();
registerServe(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = reportError(e, false);
}
