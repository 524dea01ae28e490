/**
 * `archai-ts serve RUN`: the run's model in a web page (examples/browser): its test images
 * classified in the browser, images drawn or dropped by the user, its curves. Runs until Ctrl-C.
 */
import type { Command } from 'commander';
import { ServeError, serveRun } from '../src/serve/index.js';
import { intFlag, UsageError } from './errors.js';

interface ServeFlags {
  port: string;
  host: string;
  images: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description("the run's model in a web page: classify its test images or your own drawings, see its curves")
    .argument('<run>', "run folder that 'archai-ts train' wrote (its best checkpoint is served, else its last)")
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on (the default is reachable from this machine only)', '127.0.0.1')
    .option('--images <n>', 'test images the page classifies', '16')
    .action(async (run: string, flags: ServeFlags) => {
      const port = intFlag('--port', flags.port, 0);
      if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
      const images = intFlag('--images', flags.images, 0);
      let server: Awaited<ReturnType<typeof serveRun>>;
      try {
        server = await serveRun({ run, port, host: flags.host, images });
      } catch (e) {
        if (e instanceof ServeError) throw new UsageError(e.message);
        throw e;
      }
      const { info } = server;
      process.stderr.write(`archai-ts serve: ${info.model} (${info.checkpoint} checkpoint of ${info.run}); Ctrl-C to stop\n`);
      // The URL alone on stdout, for scripts (port 0 picks one).
      process.stdout.write(`${server.url}\n`);
      await closeOnSignal(server.close);
    });
}

/** Resolves once SIGINT or SIGTERM has closed the server. */
function closeOnSignal(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      close().then(resolve, reject);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
