import { open, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CIFAR10_CLASSES, CIFAR10_LAYOUT, DataError, channelStats, loadDataset, readCifar10, readCifar100 } from '../../src/data/index.js';
import { HAVE_SHARED_CIFAR10, SHARED_CIFAR10, SHARED_SKIP_NOTE, cifarRecords } from './fixtures.js';

/** What readCifar must produce for one record: planar R, G, B planes interleaved per pixel. */
function expectedNhwc(record: Uint8Array, labelBytes: number): Uint8Array {
  const out = new Uint8Array(3072);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      for (let c = 0; c < 3; c++) out[(y * 32 + x) * 3 + c] = record[labelBytes + c * 1024 + y * 32 + x];
    }
  }
  return out;
}

function classCounts(labels: Uint8Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

describe(`CIFAR-10 reader on the shared real subset${SHARED_SKIP_NOTE}`, () => {
  it.skipIf(!HAVE_SHARED_CIFAR10)('reads the test split: 10,000 images, exactly 1,000 a class', async () => {
    const test = await readCifar10(SHARED_CIFAR10, 'test');
    expect(test).toMatchObject({ name: 'cifar10', split: 'test', numClasses: 10, length: 10000, height: 32, width: 32, channels: 3 });
    expect(test.images.length).toBe(10000 * 3072);
    expect(classCounts(test.labels, 10)).toEqual(new Array(10).fill(1000));
    expect(test.classNames).toEqual(CIFAR10_CLASSES);
    expect(test.mean).toEqual([0.4914, 0.4822, 0.4465]);
    expect(test.std).toEqual([0.247, 0.2435, 0.2616]);
  });

  it.skipIf(!HAVE_SHARED_CIFAR10)('reads the train files present (only data_batch_1 here): ~1,000 a class', async () => {
    const train = await readCifar10(SHARED_CIFAR10, 'train');
    expect(train.length).toBe(10000);
    for (const n of classCounts(train.labels, 10)) expect(Math.abs(n - 1000)).toBeLessThan(100);
  });

  it.skipIf(!HAVE_SHARED_CIFAR10)('converts the first records from planar to NHWC byte for byte', async () => {
    const train = await readCifar10(SHARED_CIFAR10, 'train', { limit: 3 });
    expect(train.length).toBe(3);
    const fh = await open(join(SHARED_CIFAR10, 'data_batch_1.bin'), 'r');
    try {
      for (let r = 0; r < 3; r++) {
        const rec = new Uint8Array(3073);
        await fh.read(rec, 0, 3073, r * 3073);
        expect(train.labels[r]).toBe(rec[0]);
        expect(Buffer.from(train.images.subarray(r * 3072, (r + 1) * 3072)).equals(Buffer.from(expectedNhwc(rec, 1)))).toBe(true);
      }
    } finally {
      await fh.close();
    }
  });

  it.skipIf(!HAVE_SHARED_CIFAR10)('has pixel statistics close to the published CIFAR-10 constants', async () => {
    const train = await readCifar10(SHARED_CIFAR10, 'train');
    const { mean, std } = channelStats(train.images);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(mean[c] - CIFAR10_LAYOUT.mean[c])).toBeLessThan(0.01);
      expect(Math.abs(std[c] - CIFAR10_LAYOUT.std[c])).toBeLessThan(0.01);
    }
  });
});

describe('CIFAR readers on hand-made files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archai-cifar-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function folder(name: string, files: Record<string, Uint8Array>): Promise<string> {
    const root = join(dir, name);
    await mkdir(root, { recursive: true });
    for (const [file, data] of Object.entries(files)) await writeFile(join(root, file), data);
    return root;
  }

  it('concatenates the train batches that exist, in order, and honours limit across files', async () => {
    const b1 = cifarRecords([[1], [2]], 1);
    const b3 = cifarRecords([[3], [4], [5]], 3);
    const root = await folder('batches', { 'data_batch_1.bin': b1, 'data_batch_3.bin': b3, 'test_batch.bin': cifarRecords([[9]], 9) });
    const train = await readCifar10(root, 'train');
    expect(Array.from(train.labels)).toEqual([1, 2, 3, 4, 5]);
    expect(Buffer.from(train.images.subarray(2 * 3072, 3 * 3072)).equals(Buffer.from(expectedNhwc(b3.subarray(0, 3073), 1)))).toBe(true);
    const limited = await readCifar10(root, 'train', { limit: 3 });
    expect(Array.from(limited.labels)).toEqual([1, 2, 3]);
    expect(limited.images.length).toBe(3 * 3072);
    expect((await readCifar10(root, 'train', { limit: 100 })).length).toBe(5);
  });

  it('finds the files inside the folder the official archive unpacks to', async () => {
    const root = await folder('unpacked/cifar-10-batches-bin', { 'test_batch.bin': cifarRecords([[7], [8]]) });
    const test = await readCifar10(join(dir, 'unpacked'), 'test');
    expect(Array.from(test.labels)).toEqual([7, 8]);
    expect(root.endsWith('cifar-10-batches-bin')).toBe(true);
  });

  it('reads CIFAR-100 fine labels (the second label byte)', async () => {
    const train = cifarRecords(
      [
        [3, 42],
        [19, 99],
        [0, 0],
      ],
      5,
    );
    const root = await folder('c100/cifar-100-binary', { 'train.bin': train, 'test.bin': cifarRecords([[1, 1]]) });
    const ds = await readCifar100(join(dir, 'c100'), 'train');
    expect(ds).toMatchObject({ name: 'cifar100', numClasses: 100, length: 3 });
    expect(Array.from(ds.labels)).toEqual([42, 99, 0]);
    expect(ds.mean).toEqual([0.5071, 0.4865, 0.4409]);
    expect(ds.classNames?.[99]).toBe('worm');
    expect(Buffer.from(ds.images.subarray(3072, 6144)).equals(Buffer.from(expectedNhwc(train.subarray(3074, 6148), 2)))).toBe(true);
    expect(root).toContain('cifar-100-binary');
  });

  it('names the expected files and the fix when root or files are missing', async () => {
    const missing = join(dir, 'nope');
    const err = await readCifar10(missing, 'train').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg).toContain(missing);
    expect(msg).toContain('does not exist');
    expect(msg).toContain('data_batch_1.bin..data_batch_5.bin and test_batch.bin');
    expect(msg).toContain('data.download: true');

    const empty = await folder('empty', {});
    await expect(readCifar100(empty, 'test')).rejects.toThrow(/no test files in .*empty.*train\.bin and test\.bin.*data\.download: true/);
  });

  it('rejects a file whose size is not a multiple of the record size, naming file and sizes', async () => {
    const root = await folder('short', { 'test_batch.bin': cifarRecords([[1], [2]]).subarray(0, 3073 + 100) });
    const err = (await readCifar10(root, 'test').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(join(root, 'test_batch.bin'));
    expect(err.message).toContain('3173 bytes');
    expect(err.message).toContain('record size 3073');
    expect(err.message).not.toContain('\n');
    // CIFAR-100 records are one byte longer: a CIFAR-10 file in its place is caught by size too.
    const c100 = await folder('c10-as-c100', { 'test.bin': cifarRecords([[1], [2]]) });
    await expect(readCifar100(c100, 'test')).rejects.toThrow(/test\.bin: size 6146 bytes .* record size 3074/);
    const zero = await folder('zero', { 'test_batch.bin': new Uint8Array(0) });
    await expect(readCifar10(zero, 'test')).rejects.toThrow(/size 0 bytes/);
  });

  it('rejects a label out of range, naming file and record', async () => {
    const root = await folder('badlabel', {
      'data_batch_1.bin': cifarRecords([[1], [2], [3]]),
      'data_batch_2.bin': cifarRecords([[0], [10]]),
    });
    const err = (await readCifar10(root, 'train').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(join(root, 'data_batch_2.bin'));
    expect(err.message).toContain('record 1 (0-based) has label 10');
    // Records past the limit are never read, so they cannot fail the load.
    expect((await readCifar10(root, 'train', { limit: 4 })).length).toBe(4);
    const c100 = await folder('badfine', {
      'train.bin': cifarRecords([
        [0, 5],
        [0, 100],
      ]),
    });
    await expect(readCifar100(c100, 'train')).rejects.toThrow(/train\.bin: record 1 \(0-based\) has label 100, outside 0\.\.99/);
  });

  it('loadDataset reads CIFAR with limits and rejects unknown names', async () => {
    const root = await folder('spec', { 'data_batch_1.bin': cifarRecords([[1], [2], [3]]), 'test_batch.bin': cifarRecords([[4], [5]]) });
    expect((await loadDataset({ dataset: 'cifar10', root, limitTrain: 2 }, 'train')).length).toBe(2);
    expect((await loadDataset({ dataset: 'cifar10', root, limitTrain: 2 }, 'test')).length).toBe(2);
    await expect(loadDataset({ dataset: 'mnist' as 'cifar10', root }, 'train')).rejects.toThrow(/unknown dataset "mnist"/);
    await expect(loadDataset({ dataset: 'cifar10', root, limitTest: 0 }, 'test')).rejects.toThrow(DataError);
  });
});
