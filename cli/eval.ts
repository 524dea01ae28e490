import type { Command } from 'commander';
import { loadConfig } from '../src/config/index.js';
import { createRunLogger, evaluate } from '../src/trainer/index.js';
import { BACKEND_HELP, backendFlag, replicasFlag, UsageError } from './errors.js';

interface EvalFlags {
  checkpoint: string;
  config?: string;
  data?: string;
  split: string;
  json?: boolean;
  backend?: string;
  replicas?: string;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      "score a checkpoint: a run folder's last one (with the run's own data settings), a checkpoint file, or weights with --config",
    )
    .requiredOption('--checkpoint <run|file>', 'run folder, training checkpoint, or plain .safetensors weights (with --config)')
    .option('--config <file>', "config for the model and data (default: the run's own; required for plain weights)")
    .option('--data <root>', "dataset folder (default: the config's data.root)")
    .option('--split <split>', "test | val (the run's data.val_split) | train", 'test')
    .option('--backend <name>', BACKEND_HELP)
    .option('--replicas <n>', "threads sharing each batch on wasm/cpu: N or 'auto' (one per core; same results)", 'auto')
    .option('--json', 'print one JSON object')
    .action(async (flags: EvalFlags) => {
      if (flags.split !== 'test' && flags.split !== 'train' && flags.split !== 'val')
        throw new UsageError(`--split must be 'test', 'val' or 'train', got '${flags.split}'`);
      const config = flags.config ? (await loadConfig(flags.config)).config : undefined;
      const r = await evaluate({
        checkpoint: flags.checkpoint,
        config,
        dataRoot: flags.data,
        split: flags.split,
        backend: flags.backend ? backendFlag(flags.backend) : undefined,
        replicas: replicasFlag(flags.replicas),
        logger: createRunLogger(null),
        progressBar: process.stderr.isTTY ?? false,
      });
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ top1: r.top1, top5: r.top5, loss: r.loss, n: r.n, model: r.model, split: r.split, epoch: r.epoch, checkpoint: r.checkpoint })}\n`,
        );
      } else {
        process.stdout.write(
          `${r.model} (${r.checkpoint}${r.epoch === null ? '' : `, epoch ${r.epoch}`}) on ${r.split}: top1 ${r.top1.toFixed(4)}  top5 ${r.top5.toFixed(4)}  loss ${r.loss.toFixed(4)}  n ${r.n}\n`,
        );
      }
    });
}
