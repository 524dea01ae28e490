/**
 * Real processes for the queue's tests: a redis-server on a free loopback port (its append-only
 * file on, so it can be restarted with its data), and the CLI's search and worker commands. Every
 * process started here is listed, so that afterAll can end whatever a failed test left running.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI (npm test builds it first). */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Whether redis-server is installed; under CI (ARCHAI_TS_REQUIRE_REDIS=1) its absence is a failure, not a skip. */
export function redisAvailable(): boolean {
  const ok = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!ok && process.env.ARCHAI_TS_REQUIRE_REDIS === '1')
    throw new Error('redis-server is not installed (apt-get install redis-server) and ARCHAI_TS_REQUIRE_REDIS=1');
  return ok;
}

export interface Proc {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output: () => string;
  /** The exit code (null: killed by a signal). */
  exited: Promise<number | null>;
  running: () => boolean;
}

const started: Proc[] = [];

export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      done = true;
      resolve(code);
    }),
  );
  const proc = { child, output: () => text, exited, running: () => !done };
  started.push(proc);
  return proc;
}

/** `archai-ts ARGS` as users run it. */
export const startCli = (args: string[], env: NodeJS.ProcessEnv = {}) => startProcess(process.execPath, [CLI, ...args], env);

/** Ends every process still running (SIGKILL) and waits for each. */
export async function killAll(): Promise<void> {
  for (const p of started) if (p.running()) p.child.kill('SIGKILL');
  await Promise.all(started.map((p) => p.exited));
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs: number, everyMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The first value `get` gives other than null. */
export async function waitForValue<T>(what: string, get: () => T | null, timeoutMs: number): Promise<T> {
  let value: T | null = null;
  await waitFor(
    what,
    () => {
      value = get();
      return value !== null;
    },
    timeoutMs,
  );
  return value as T;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  proc: Proc;
  /** Stops it (SIGTERM: the append-only file is flushed) and starts it again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server on a free loopback port with its append-only file in `dir`, ready for commands. */
export async function startRedis(dir: string): Promise<RedisServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
  const launch = async () => {
    const proc = startProcess('redis-server', [...args, '--dir', dir]);
    await waitFor('redis-server to accept connections', () => /Ready to accept connections/.test(proc.output()), 10_000);
    return proc;
  };
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    proc: await launch(),
    async restart() {
      await server.stop();
      server.proc = await launch();
    },
    async stop() {
      server.proc.child.kill('SIGTERM');
      await server.proc.exited;
    },
  };
  return server;
}
