/**
 * Streams one URL to a file with Node's own http/https (no fetch: its redirect and abort behaviour
 * is harder to pin down for the failures tests exercise), hashing the bytes as they pass so the
 * archive is never read twice.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { DataError, describeError } from './errors.js';

export interface FetchOptions {
  /** Redirects (301/302/303/307/308) followed before giving up. Default 5. */
  maxRedirects?: number;
  /** Abort when the connection is silent this long, in ms. Default 60,000. */
  idleTimeoutMs?: number;
  /** Called as bytes arrive; `total` is null when the server sends no Content-Length. */
  onProgress?: (received: number, total: number | null) => void;
}

export interface FetchResult {
  /** The URL the bytes finally came from (after redirects). */
  finalUrl: string;
  bytes: number;
  md5: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface Response {
  res: http.IncomingMessage;
  /** Set when the idle timeout fired: the body stream then fails with a bare "aborted". */
  stalled: { value: boolean };
}

function get(url: URL, idleTimeoutMs: number): Promise<Response> {
  const client = url.protocol === 'https:' ? https : http;
  const stalled = { value: false };
  return new Promise((resolve, reject) => {
    // agent: false: one connection per request, so no pooled keep-alive socket outlives the download.
    const req = client.get(url, { agent: false, headers: { 'user-agent': 'archai-ts' } }, (res) => resolve({ res, stalled }));
    req.setTimeout(idleTimeoutMs, () => {
      stalled.value = true;
      req.destroy(new Error(`no data for ${idleTimeoutMs} ms`));
    });
    req.on('error', reject);
  });
}

/** Download `url` into `dest` (which must not exist). Throws DataError naming `url` on any failure. */
export async function fetchToFile(url: string, dest: string, options: FetchOptions = {}): Promise<FetchResult> {
  const maxRedirects = options.maxRedirects ?? 5;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new DataError(`${url}: not a valid URL; check data.download_url`);
  }
  const where = () => (current.href === url ? url : `${url} (redirected to ${current.href})`);

  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      throw new DataError(`${where()}: unsupported protocol ${current.protocol}; use an http or https URL`);
    }
    let res: http.IncomingMessage;
    let stalled: { value: boolean };
    try {
      ({ res, stalled } = await get(current, idleTimeoutMs));
    } catch (err) {
      throw new DataError(`${where()}: cannot connect (${describeError(err)}); check the network, or put the files in data.root yourself`, {
        cause: err,
      });
    }
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      res.resume();
      const location = res.headers.location;
      if (!location) throw new DataError(`${where()}: HTTP ${status} redirect without a Location header; try another mirror`);
      if (hop >= maxRedirects) throw new DataError(`${url}: more than ${maxRedirects} redirects; the server loops or the URL is wrong`);
      current = new URL(location, current);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new DataError(
        `${where()}: HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd() + '; check data.download_url or try again later',
      );
    }

    const lengthHeader = res.headers['content-length'];
    const total = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    const hash = createHash('md5');
    let received = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        received += chunk.length;
        options.onProgress?.(received, total);
        done(null, chunk);
      },
    });
    try {
      await pipeline(res, tap, createWriteStream(dest, { flags: 'wx' }));
    } catch (err) {
      const got = total === null ? `${received} bytes` : `${received} of ${total} bytes`;
      const why = stalled.value ? `no data for ${idleTimeoutMs} ms` : describeError(err);
      throw new DataError(`${where()}: download failed after ${got} (${why}); the transfer broke off — retry`, { cause: err });
    }
    // A server that closes cleanly but early (no chunked framing) is only caught by the length.
    if (total !== null && received !== total) {
      throw new DataError(`${where()}: connection closed after ${received} of ${total} bytes; retry`);
    }
    return { finalUrl: current.href, bytes: received, md5: hash.digest('hex') };
  }
}
