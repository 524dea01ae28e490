/**
 * The Redis a search's queue lives on: redis://[user:password@]host[:port][/db], or rediss:// for
 * TLS (Node's trust store; NODE_EXTRA_CA_CERTS adds a private CA). The password is never shown:
 * `display` masks it, and `redact` scrubs it from any text before it is printed or logged.
 */
import { QueueError } from './errors.js';

/** What both ioredis and BullMQ take as connection options. */
export interface RedisEndpoint {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: { servername: string };
}

/** The environment variable a URL may come from instead of the command line (keeps the password out of `ps`). */
export const REDIS_URL_ENV = 'ARCHAI_TS_REDIS_URL';

export interface RedisTarget {
  /** Connection options for ioredis (and so BullMQ). */
  options: RedisEndpoint;
  /** The URL with its password masked. */
  display: string;
  /** Removes the password from a text (an error message, a log line). */
  redact: (text: string) => string;
}

/** `scheme://user:secret@` becomes `scheme://user:***@` in any text. */
export const maskUrls = (text: string) => text.replace(/(\w+:\/\/[^\s:/@]*:)[^\s@/]*@/g, '$1***@');

/** A URL that may not parse, shown without anything before its last '@' (user and password). */
function maskInput(text: string): string {
  const at = text.lastIndexOf('@');
  return at < 0 ? text : `${/^\w+:\/\//.exec(text)?.[0] ?? ''}***@${text.slice(at + 1)}`;
}

function fail(text: string, why: string): never {
  throw new QueueError(`--queue ${maskInput(text)}: ${why}; expected redis://[user:password@]host[:port][/db] or rediss://...`);
}

function decode(text: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return fail(text, 'malformed %-encoding in the user or password');
  }
}

export function parseRedisUrl(text: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(text, 'not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') fail(text, `unsupported scheme '${url.protocol.slice(0, -1)}'`);
  if (!url.hostname) fail(text, 'no host');
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) fail(text, `the database must be a number, got '${path}'`);
  if (url.search || url.hash) fail(text, 'query and fragment are not supported');
  const password = decode(text, url.password);
  const username = decode(text, url.username);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: RedisEndpoint = {
    host,
    port: url.port ? Number(url.port) : 6379,
    db: path ? Number(path) : 0,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(url.protocol === 'rediss:' ? { tls: { servername: host } } : {}),
  };
  const auth = username || password ? `${url.username}${password ? ':***' : ''}@` : '';
  const display = `${url.protocol}//${auth}${url.host}/${options.db}`;
  const secrets = [password, url.password].filter((s) => s.length > 0);
  const redact = (s: string) => secrets.reduce((t, secret) => t.split(secret).join('***'), maskUrls(s));
  return { options, display, redact };
}

/** The URL of `--queue [url]`: the flag's value, else ARCHAI_TS_REDIS_URL. */
export function redisUrlOf(flag: string | true | undefined, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const text = typeof flag === 'string' ? flag : env[REDIS_URL_ENV];
  if (!text) throw new QueueError(`--queue: give the Redis URL (redis://host:port/db) or set ${REDIS_URL_ENV}`);
  return parseRedisUrl(text);
}
