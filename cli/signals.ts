import type { Logger } from '../src/trainer/index.js';

/**
 * Ctrl-C (or SIGTERM) once: finish the step, checkpoint, exit 130. Twice: say that the checkpoint
 * is being written and wait for it. A third time: quit at once, without it.
 */
export function stopOnSignals(logger: Logger, controller: AbortController): () => void {
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) logger.warn(`${sig}: finishing the step and writing a checkpoint`);
    else if (signals === 2) logger.warn(`${sig}: still writing the checkpoint, waiting for it (once more to quit without it)`);
    else {
      logger.warn(`${sig}: quitting without a checkpoint of the last steps`);
      logger.flush();
      process.exit(130);
    }
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
