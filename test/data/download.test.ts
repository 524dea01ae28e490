import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DataError, downloadCifar, extractTar, loadDataset, readCifar10 } from '../../src/data/index.js';
import { cifar100Archive, cifar10Archive, makeTar } from './fixtures.js';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

const { tar: cifar10Tar, records } = cifar10Archive(3);
const cifar10Gz = gzipSync(cifar10Tar);
const cifar100Gz = gzipSync(cifar100Archive(4));
const evilGz = gzipSync(makeTar([{ name: 'cifar-10-batches-bin/' }, { name: '../escaped.bin', data: new Uint8Array(10) }]));
const notGz = Buffer.from('<html>not an archive</html>');

/** Loopback server: every failure mode the downloader must turn into a DataError. */
function startServer(): Promise<{ server: http.Server; base: string; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const send = (body: Uint8Array) => {
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
      res.end(body);
    };
    switch (path) {
      case '/cifar-10-binary.tar.gz':
        return send(cifar10Gz);
      case '/cifar-100-binary.tar.gz':
        return send(cifar100Gz);
      case '/evil.tar.gz':
        return send(evilGz);
      case '/html':
        return send(notGz);
      case '/moved':
        res.writeHead(302, { location: '/moved-again' });
        return res.end();
      case '/moved-again':
        res.writeHead(301, { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cifar-10-binary.tar.gz` });
        return res.end();
      case '/loop':
        res.writeHead(307, { location: '/loop' });
        return res.end();
      case '/cut':
        // Promise the whole archive, send half, then drop the connection.
        res.writeHead(200, { 'content-length': cifar10Gz.length });
        res.write(cifar10Gz.subarray(0, cifar10Gz.length >> 1), () => res.socket?.destroy());
        return;
      case '/stall':
        // Headers and a first chunk, then silence with the connection held open.
        res.writeHead(200, { 'content-length': cifar10Gz.length });
        res.write(cifar10Gz.subarray(0, 1000));
        return;
      default:
        res.writeHead(404, 'Not Found');
        return res.end('no such file');
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits }));
  });
}

describe('CIFAR download from a local server', () => {
  let server: http.Server;
  let base: string;
  let hits: Map<string, number>;
  let dir: string;
  let n = 0;
  const freshRoot = () => join(dir, `root${n++}`);

  beforeAll(async () => {
    ({ server, base, hits } = await startServer());
    dir = await mkdtemp(join(tmpdir(), 'archai-dl-'));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  async function expectFailure(root: string, opts: { url: string; md5?: string }, pattern: RegExp): Promise<DataError> {
    const err = (await downloadCifar('cifar10', root, opts).catch((e: unknown) => e)) as DataError;
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(pattern);
    expect(err.message).not.toContain('\n');
    return err;
  }

  it('downloads, verifies, unpacks into place, cleans up and is then skipped', async () => {
    const root = freshRoot();
    const url = `${base}/cifar-10-binary.tar.gz`;
    const progress: number[] = [];
    const result = await downloadCifar('cifar10', root, { url, md5: md5(cifar10Gz), onProgress: (r) => progress.push(r) });
    expect(result).toEqual({ downloaded: true, dir: join(root, 'cifar-10-batches-bin') });
    expect(progress.at(-1)).toBe(cifar10Gz.length);
    // No temps left behind: only the unpacked folder.
    expect(await readdir(root)).toEqual(['cifar-10-batches-bin']);
    const train = await readCifar10(root, 'train');
    expect(train.length).toBe(15);
    expect(Array.from(train.labels.subarray(0, 6))).toEqual([0, 1, 2, 1, 2, 3]);
    const test = await readCifar10(root, 'test');
    expect(test.labels[0]).toBe(records.get('test_batch.bin')![0]);

    const before = hits.get('/cifar-10-binary.tar.gz');
    expect(await downloadCifar('cifar10', root, { url, md5: md5(cifar10Gz) })).toEqual({
      downloaded: false,
      dir: join(root, 'cifar-10-batches-bin'),
    });
    expect(hits.get('/cifar-10-binary.tar.gz')).toBe(before);
  });

  it('follows redirects, relative and absolute', async () => {
    const root = freshRoot();
    await downloadCifar('cifar10', root, { url: `${base}/moved`, md5: md5(cifar10Gz) });
    expect((await readCifar10(root, 'test')).length).toBe(3);
    await expectFailure(freshRoot(), { url: `${base}/loop` }, /\/loop: more than 5 redirects/);
  });

  it('rejects a wrong checksum, naming the URL, and leaves root as it was', async () => {
    const root = freshRoot();
    await mkdir(root);
    await writeFile(join(root, 'unrelated.txt'), 'keep me');
    const url = `${base}/cifar-10-binary.tar.gz`;
    await expectFailure(root, { url, md5: '0'.repeat(32) }, new RegExp(`^${url}: MD5 ${md5(cifar10Gz)} .* expected 0{32}`));
    expect(await readdir(root)).toEqual(['unrelated.txt']);
  });

  it('rejects a connection cut mid-body and removes the root it created', async () => {
    const root = freshRoot();
    await expectFailure(root, { url: `${base}/cut` }, new RegExp(`^${base}/cut: download failed after \\d+ of ${cifar10Gz.length} bytes`));
    expect(await readdir(dir)).not.toContain(root.split('/').at(-1));
  });

  it('gives up on a server that goes silent, after idleTimeoutMs', async () => {
    const root = freshRoot();
    const err = (await downloadCifar('cifar10', root, { url: `${base}/stall`, idleTimeoutMs: 200 }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(
      new RegExp(`^${base}/stall: download failed after 1000 of ${cifar10Gz.length} bytes \\(no data for 200 ms\\)`),
    );
    expect(await readdir(dir)).not.toContain(root.split('/').at(-1));
  });

  it('rejects HTTP errors and refused connections, naming the URL', async () => {
    await expectFailure(freshRoot(), { url: `${base}/missing.tar.gz` }, new RegExp(`^${base}/missing.tar.gz: HTTP 404 Not Found`));
    await expectFailure(freshRoot(), { url: `${base}/moved-nowhere` }, /HTTP 404/);
    // Port 1 on loopback: nothing listens there.
    await expectFailure(
      freshRoot(),
      { url: 'http://127.0.0.1:1/x.tar.gz' },
      /^http:\/\/127\.0\.0\.1:1\/x\.tar\.gz: cannot connect \(.*ECONNREFUSED/,
    );
  });

  it('rejects archives that are not gzip, escape the root, or lack the CIFAR files', async () => {
    const root = freshRoot();
    await mkdir(root);
    await expectFailure(root, { url: `${base}/html` }, /\/html: cannot unpack/);
    await expectFailure(root, { url: `${base}/evil.tar.gz` }, /refusing entry "\.\.\/escaped\.bin": contains '\.\.'/);
    expect(await readdir(root)).toEqual([]);
    expect(await readdir(dir)).not.toContain('escaped.bin');
    await expectFailure(root, { url: `${base}/cifar-100-binary.tar.gz` }, /has no cifar-10-batches-bin\/test_batch\.bin/);
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses to start when an incomplete archive folder is in the way', async () => {
    const root = freshRoot();
    await mkdir(join(root, 'cifar-10-batches-bin'), { recursive: true });
    await expectFailure(
      root,
      { url: `${base}/cifar-10-binary.tar.gz` },
      /cifar-10-batches-bin exists but does not hold the CIFAR-10 files; remove it/,
    );
  });

  it('loadDataset downloads CIFAR-100 from a mirror given in the spec', async () => {
    const root = freshRoot();
    const spec = {
      dataset: 'cifar100' as const,
      root,
      download: true,
      downloadUrl: `${base}/cifar-100-binary.tar.gz`,
      downloadMd5: md5(cifar100Gz),
    };
    const train = await loadDataset(spec, 'train');
    expect(Array.from(train.labels)).toEqual([99, 98, 97, 96]);
    const test = await loadDataset(spec, 'test');
    expect(Array.from(test.labels)).toEqual([0, 1, 2, 3]);
  });
});

describe('ustar extraction', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archai-tar-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }

  it('extracts files and folders whatever the chunking, long names included', async () => {
    const long = `${'a'.repeat(80)}/${'b'.repeat(60)}/file.bin`;
    const data = new Uint8Array(1500).map((_, i) => i & 255);
    const tar = makeTar([
      { name: 'top/' },
      { name: 'top/one.txt', data: Buffer.from('hello') },
      { name: long, data },
      { name: 'top/empty.bin', data: new Uint8Array(0) },
    ]);
    for (const size of [1, 7, 512, 100_000]) {
      const dest = await mkdtemp(join(dir, 'x-'));
      const entries = await extractTar(chunks(tar, size), dest);
      expect(entries.map((e) => e.path)).toEqual(['top', 'top/one.txt', long, 'top/empty.bin']);
      expect(await readdir(join(dest, 'top'))).toEqual(['empty.bin', 'one.txt']);
      expect(Buffer.from(await readFile(join(dest, long))).equals(Buffer.from(data))).toBe(true);
    }
  });

  it("reads old-GNU headers (GNU tar's default format) without taking their timestamps for a path prefix", async () => {
    const dest = await mkdtemp(join(dir, 'gnu-'));
    const tar = makeTar([
      { name: 'cifar-10-batches-bin/', gnu: true },
      { name: 'cifar-10-batches-bin/test_batch.bin', data: Buffer.from('abc'), gnu: true },
    ]);
    const entries = await extractTar(chunks(tar, 512), dest);
    expect(entries.map((e) => e.path)).toEqual(['cifar-10-batches-bin', 'cifar-10-batches-bin/test_batch.bin']);
    expect(await readFile(join(dest, 'cifar-10-batches-bin/test_batch.bin'), 'utf8')).toBe('abc');
  });

  it('refuses absolute paths, .., links, and corrupt or truncated headers', async () => {
    const dest = await mkdtemp(join(dir, 'bad-'));
    const run = (tar: Uint8Array) => extractTar(chunks(tar, 4096), dest);
    await expect(run(makeTar([{ name: '/etc/passwd', data: new Uint8Array(1) }]))).rejects.toThrow(/absolute/);
    await expect(run(makeTar([{ name: 'a/../../b', data: new Uint8Array(1) }]))).rejects.toThrow(/contains '\.\.'/);
    await expect(run(makeTar([{ name: 'link', type: '2', linkname: '/etc/passwd' }]))).rejects.toThrow(
      /type '2': only regular files and directories/,
    );
    const corrupt = makeTar([{ name: 'ok.txt', data: Buffer.from('x') }]);
    corrupt[10] ^= 1;
    await expect(run(corrupt)).rejects.toThrow(/bad header checksum/);
    const truncated = makeTar([{ name: 'big.bin', data: new Uint8Array(5000) }]).subarray(0, 2048);
    await expect(extractTar(chunks(truncated, 4096), await mkdtemp(join(dir, 'tr-')))).rejects.toThrow(/archive ends inside a file/);
    expect(await readdir(dest)).toEqual([]);
  });
});
