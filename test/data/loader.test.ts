import { afterAll, describe, expect, it } from 'vitest';

import { DataLoader, makeSynthetic, type Batch, type DataLoaderOptions, type ImageDataset } from '../../src/data/index.js';

const train = makeSynthetic('train', { trainSize: 300, seed: 4 });
const test = makeSynthetic('test', { testSize: 70, seed: 4 });
const AUG = { cropPadding: 4, hflip: true, cutout: 8 };

const open: DataLoader[] = [];
function loader(options: Partial<DataLoaderOptions> & { dataset?: ImageDataset } = {}): DataLoader {
  const l = new DataLoader({ dataset: train, batchSize: 64, shuffle: true, augment: AUG, seed: 11, workers: 0, ...options });
  open.push(l);
  return l;
}
afterAll(async () => {
  await Promise.all(open.map((l) => l.close()));
});

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

function same(a: Batch, b: Batch): boolean {
  return (
    a.epoch === b.epoch &&
    a.index === b.index &&
    a.n === b.n &&
    Buffer.from(a.x.buffer, a.x.byteOffset, a.x.byteLength).equals(Buffer.from(b.x.buffer, b.x.byteOffset, b.x.byteLength)) &&
    Buffer.from(a.y.buffer, a.y.byteOffset, a.y.byteLength).equals(Buffer.from(b.y.buffer, b.y.byteOffset, b.y.byteLength))
  );
}

describe('DataLoader', () => {
  it('covers every image once per epoch, in batches of batchSize with a short last one', async () => {
    const l = loader();
    expect(l.numBatches).toBe(5);
    const batches = await collect(l.batches(0));
    expect(batches.map((b) => [b.index, b.n])).toEqual([
      [0, 64],
      [1, 64],
      [2, 64],
      [3, 64],
      [4, 44],
    ]);
    const seen = new Set<number>();
    for (let i = 0; i < 5; i++) for (const j of l.batchIndices(0, i)) seen.add(j);
    expect(seen.size).toBe(300);
    for (const b of batches) {
      expect(b.x.length).toBe(b.n * 32 * 32 * 3);
      expect(Array.from(b.y)).toEqual(Array.from(l.batchIndices(0, b.index), (j) => train.labels[j]));
    }
    const dropped = loader({ dropLast: true });
    expect(dropped.numBatches).toBe(4);
    expect((await collect(dropped.batches(0))).every((b) => b.n === 64)).toBe(true);
  });

  it('is a pure function of (seed, epoch, batch): same bytes again, another order next epoch', async () => {
    const a = await collect(loader().batches(1));
    const b = await collect(loader({ prefetch: 0 }).batches(1));
    expect(a.every((batch, i) => same(batch, b[i]))).toBe(true);
    const l = loader();
    expect(Array.from(l.order(2))).not.toEqual(Array.from(l.order(1)));
    const other = await collect(l.batches(2));
    expect(same(a[0], { ...other[0], epoch: 1 })).toBe(false);
    const otherSeed = await collect(loader({ seed: 12 }).batches(1));
    expect(Array.from(otherSeed[0].y)).not.toEqual(Array.from(a[0].y));
    // Unshuffled: dataset order, but still augmented differently per epoch.
    const plain = loader({ shuffle: false });
    expect(Array.from(plain.batchIndices(3, 1))).toEqual(Array.from({ length: 64 }, (_, i) => 64 + i));
  });

  it('resumes: batches(epoch, k) equals the tail of batches(epoch, 0)', async () => {
    const full = await collect(loader().batches(5));
    for (const k of [1, 3, 4]) {
      const tail = await collect(loader().batches(5, k));
      expect(tail.map((b) => b.index)).toEqual(full.slice(k).map((b) => b.index));
      expect(tail.every((b, i) => same(b, full[k + i]))).toBe(true);
    }
    expect(await collect(loader().batches(5, 5))).toEqual([]);
  });

  it('gives the test split normalisation only', async () => {
    const l = loader({ dataset: test, batchSize: 32 });
    expect(l.augment).toEqual({ cropPadding: 0, hflip: false, cutout: 0, normalize: true });
    const [b] = await collect(l.batches(0));
    const j = l.batchIndices(0, 0)[0];
    for (let i = 0; i < 3072; i++) {
      const c = i % 3;
      expect(b.x[i]).toBeCloseTo((test.images[j * 3072 + i] / 255 - test.mean[c]) / test.std[c], 5);
    }
  });

  it('validates its options', () => {
    expect(() => loader({ batchSize: 0 })).toThrow(/batchSize must be an integer >= 1/);
    expect(() => loader({ workers: -1 })).toThrow(/workers/);
    expect(() => loader().batchIndices(0, 5)).toThrow(/batch 5 out of range/);
    expect(() => loader({ dataset: { ...train, length: 301 } })).toThrow(
      /claims 301 images of 32x32x3 but holds 921600 pixel bytes and 300 labels/,
    );
  });
});

describe('DataLoader with worker threads', () => {
  it('gives bit-identical batches to in-process preparation (1 and 3 workers)', { timeout: 20_000 }, async () => {
    const inProcess = await collect(loader().batches(7));
    for (const workers of [1, 3]) {
      const l = loader({ workers });
      const viaWorkers = await collect(l.batches(7));
      expect(viaWorkers.length).toBe(inProcess.length);
      expect(viaWorkers.every((b, i) => same(b, inProcess[i]))).toBe(true);
      await l.close();
    }
  });

  it('survives early exit, close() and reuse', { timeout: 20_000 }, async () => {
    const l = loader({ workers: 1, prefetch: 3 });
    for await (const b of l.batches(0)) {
      expect(b.index).toBe(0);
      break;
    }
    await l.close();
    // Workers restart on demand after close().
    const again = await collect(l.batches(0, 3));
    expect(again.map((b) => b.index)).toEqual([3, 4]);
    expect(same(again[0], (await collect(loader().batches(0, 3)))[0])).toBe(true);
    await l.close();
    await l.close();
  });

  it('prepares a 128-image CIFAR-size batch quickly in-process and in a worker', { timeout: 30_000 }, async () => {
    const big = makeSynthetic('train', { trainSize: 128 * 12, seed: 1 });
    const time = async (workers: number) => {
      const l = loader({ dataset: big, batchSize: 128, workers, prefetch: 0 });
      await l.prepare(0, 0); // warm-up: worker start, JIT
      const t0 = performance.now();
      for (let i = 1; i < 12; i++) await l.prepare(0, i);
      const perBatch = (performance.now() - t0) / 11;
      const t1 = performance.now();
      await collect(l.batches(1)); // with prefetch 0: same sequential path, through the generator
      const l2 = loader({ dataset: big, batchSize: 128, workers, prefetch: 2 });
      await l2.prepare(0, 0);
      const t2 = performance.now();
      await collect(l2.batches(1));
      const pipelined = (performance.now() - t2) / 12;
      await l.close();
      await l2.close();
      return { perBatch, pipelined, sequentialEpoch: (t2 - t1) / 12 };
    };
    const inProcess = await time(0);
    const worker = await time(1);
    console.log(
      `[data] one 128-image batch (crop+flip+cutout+normalise): in-process ${inProcess.perBatch.toFixed(2)} ms, ` +
        `worker round trip ${worker.perBatch.toFixed(2)} ms; per batch over an epoch with prefetch 2: ` +
        `in-process ${inProcess.pipelined.toFixed(2)} ms, 1 worker ${worker.pipelined.toFixed(2)} ms`,
    );
    expect(inProcess.perBatch).toBeLessThan(100);
    expect(worker.perBatch).toBeLessThan(100);
  });
});

describe('DataLoader look-ahead', () => {
  it('prepares exactly `prefetch` batches beyond the one being consumed', async () => {
    for (const prefetch of [0, 1, 2, 3]) {
      const l = loader({ prefetch, batchSize: 30 });
      const requested: number[] = [];
      const original = l.prepare.bind(l);
      l.prepare = (epoch: number, index: number) => {
        requested.push(index);
        return original(epoch, index);
      };
      const seenAt: number[] = [];
      for await (const b of l.batches(0)) {
        // While batch b is being consumed, batches up to b.index + prefetch have been requested.
        seenAt.push(requested.length);
        expect(Math.max(...requested)).toBe(Math.min(b.index + prefetch, l.numBatches - 1));
      }
      expect(requested).toEqual(Array.from({ length: l.numBatches }, (_, i) => i));
      expect(seenAt[0]).toBe(Math.min(1 + prefetch, l.numBatches));
    }
  });
});
