import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { tf } from '../../src/tf.js';
import {
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  readSafetensorsFile,
  writeFileAtomic,
  writeSafetensors,
  type HostTensor,
} from '../../src/io/index.js';

// ---------------------------------------------------------------------------------------------------
// helpers

/** Raw little-endian bytes of a typed array (the test machine's order is checked below). */
function le(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/** Build a file from a literal header object (any key order) and the raw data buffer, padding like Python does. */
function buildFile(header: unknown, data: Uint8Array, opts: { pad?: boolean; headerLen?: bigint } = {}): Uint8Array {
  let json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (opts.pad !== false) {
    const padded = Math.ceil(json.byteLength / 8) * 8;
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, opts.headerLen ?? BigInt(json.byteLength), true);
  return concat([len, json, data]);
}

function f32(shape: number[], values: number[]): HostTensor {
  return { dtype: 'float32', shape, data: new Float32Array(values) };
}
function i32(shape: number[], values: number[]): HostTensor {
  return { dtype: 'int32', shape, data: new Int32Array(values) };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archai-ts-safetensors-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('runs on a little-endian host (the hand-built fixtures below rely on it)', () => {
  expect(new Uint8Array(new Uint16Array([1]).buffer)[0]).toBe(1);
});

// ---------------------------------------------------------------------------------------------------
// round trips

describe('encode / decode round trip', () => {
  const tensors: Record<string, HostTensor> = {
    'layer.weight': f32([2, 3], [1, -2, 3.5, 1e-30, -0, 3.4e38]),
    'layer.idx': i32([4], [0, -1, 2147483647, -2147483648]),
    'scalar.f': f32([], [42.25]),
    'scalar.i': i32([], [-7]),
    'empty.f': f32([0, 5], []),
    'empty.i': i32([3, 0, 2], []),
    'nan.inf': f32([3], [NaN, Infinity, -Infinity]),
  };
  const metadata = { format: 'pt', note: 'héllo "quoted"\nnewline' };

  it('reproduces every tensor and the metadata', () => {
    const bytes = encodeSafetensors(tensors, metadata);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual(metadata);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const b = back.tensors[name]!;
      expect(b.dtype, name).toBe(t.dtype);
      expect(b.shape, name).toEqual(t.shape);
      expect(b.data.constructor, name).toBe(t.data.constructor);
      expect(Array.from(b.data), name).toEqual(Array.from(t.data));
    }
    expect(Object.is(back.tensors['layer.weight']!.data[4], -0)).toBe(true);
  });

  it('is deterministic: sorted names, header padded to 8, data contiguous from 0', () => {
    const reversed = Object.fromEntries(Object.entries(tensors).reverse());
    const a = encodeSafetensors(tensors, metadata);
    const b = encodeSafetensors(reversed, { note: metadata.note, format: 'pt' });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);

    const n = Number(new DataView(a.buffer, a.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(a.subarray(8, 8 + n))) as Record<string, unknown>;
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    expect(names).toEqual(Object.keys(tensors).sort());
    let cursor = 0;
    for (const name of names) {
      const { dtype, data_offsets } = header[name] as { dtype: string; data_offsets: [number, number] };
      expect(dtype).toBe(tensors[name]!.dtype === 'float32' ? 'F32' : 'I32');
      expect(data_offsets[0]).toBe(cursor);
      cursor = data_offsets[1];
    }
    expect(8 + n + cursor).toBe(a.byteLength);
  });

  it('encodes an empty dict and no metadata', () => {
    const back = decodeSafetensors(encodeSafetensors({}));
    expect(back.tensors).toEqual({});
    expect(back.metadata).toEqual({});
  });

  it('decodes from a Uint8Array view at an odd offset in a bigger buffer', () => {
    const bytes = encodeSafetensors(tensors);
    const big = new Uint8Array(bytes.byteLength + 3);
    big.set(bytes, 3);
    const back = decodeSafetensors(big.subarray(3));
    expect(Array.from(back.tensors['layer.weight']!.data)).toEqual(Array.from(tensors['layer.weight']!.data));
  });

  it('rejects host tensors it cannot write', () => {
    expect(() => encodeSafetensors({ x: { dtype: 'bool', shape: [1], data: new Int32Array(1) } as unknown as HostTensor })).toThrow(
      SafetensorsError,
    );
    expect(() => encodeSafetensors({ x: f32([2, 2], [1, 2, 3]) })).toThrow(/"x".*3 elements.*needs 4/);
    expect(() => encodeSafetensors({ x: { dtype: 'int32', shape: [1], data: new Float32Array(1) } })).toThrow(/Int32Array/);
  });

  it('writes and reads files of tf tensors and host tensors', async () => {
    const path = join(dir, 'model.safetensors');
    const a = tf.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [2, 3],
      'float32',
    );
    const b = tf.tensor([3, -4], [2], 'int32');
    const s = tf.scalar(2.5);
    const z = tf.zeros([0, 4]);
    await writeSafetensors(path, { a, b, s, z, host: i32([1, 1], [9]) }, { epoch: '3' });
    expect(a.isDisposed).toBe(false);
    tf.dispose([a, b, s, z]);

    const before = tf.memory().numTensors;
    const { tensors, metadata } = await readSafetensorsFile(path);
    expect(metadata).toEqual({ epoch: '3' });
    expect(tf.memory().numTensors - before).toBe(5);
    expect(tensors['a']!.dtype).toBe('float32');
    expect(tensors['a']!.shape).toEqual([2, 3]);
    expect(Array.from(await tensors['a']!.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensors['b']!.dtype).toBe('int32');
    expect(Array.from(await tensors['b']!.data())).toEqual([3, -4]);
    expect(tensors['s']!.shape).toEqual([]);
    expect(Array.from(await tensors['s']!.data())).toEqual([2.5]);
    expect(tensors['z']!.shape).toEqual([0, 4]);
    expect(tensors['host']!.dtype).toBe('int32');
    expect(tensors['host']!.shape).toEqual([1, 1]);
    tf.dispose(Object.values(tensors));

    const plain = await readSafetensors(path);
    expect(Object.keys(plain).sort()).toEqual(['a', 'b', 'host', 's', 'z']);
    tf.dispose(Object.values(plain));
    expect(tf.memory().numTensors).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------------
// files laid out the way Python's safetensors writes them

describe('decoding a hand-built Python-layout file', () => {
  // Python's safetensors orders the data by (alignment desc, name) and writes the header with its own
  // key order; here header keys and data order deliberately differ.
  const w = new Float32Array([0.5, -1.25, 3, 1e-7, -65504, 7]); // F32 [2,3]
  const d = new Float64Array([1.5, -0.1]); // F64 [2]
  const n = new BigInt64Array([-1n, 2147483647n, -2147483648n]); // I64 [3]
  const h = new Uint16Array([0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00, 0xfbff]); // F16 [6]
  const bf = new Uint16Array([0x3f80, 0xc060, 0x0000]); // BF16 [3]
  const s16 = new Int16Array([-300, 12]); // I16 [2]
  const s8 = new Int8Array([-128, 127, 0]); // I8 [3]
  const u8 = new Uint8Array([255, 0]); // U8 [2]
  const bl = new Uint8Array([1, 0, 1, 1]); // BOOL [2,2]
  const i = new Int32Array([5]); // I32 [] scalar
  const parts: [string, string, number[], Uint8Array][] = [
    ['n', 'I64', [3], le(n)],
    ['d', 'F64', [2], le(d)],
    ['w', 'F32', [2, 3], le(w)],
    ['i', 'I32', [], le(i)],
    ['h', 'F16', [6], le(h)],
    ['bf', 'BF16', [3], le(bf)],
    ['s16', 'I16', [2], le(s16)],
    ['empty', 'F32', [0], new Uint8Array(0)],
    ['s8', 'I8', [3], le(s8)],
    ['u8', 'U8', [2], le(u8)],
    ['bl', 'BOOL', [2, 2], le(bl)],
  ];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  const layout: Record<string, unknown> = {};
  for (const [name, dtype, shape, bytes] of parts) {
    layout[name] = { dtype, shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
  }
  for (const name of Object.keys(layout).sort().reverse()) header[name] = layout[name];
  const file = buildFile(header, concat(parts.map((p) => p[3])));

  it('converts every dtype to float32 / int32', () => {
    const { tensors, metadata } = decodeSafetensors(file, 'python.safetensors');
    expect(metadata).toEqual({ format: 'pt' });
    const get = (k: string) => tensors[k]!;
    expect(get('w')).toMatchObject({ dtype: 'float32', shape: [2, 3] });
    expect(Array.from(get('w').data)).toEqual(Array.from(w));
    expect(get('d').dtype).toBe('float32');
    expect(Array.from(get('d').data)).toEqual([1.5, Math.fround(-0.1)]);
    expect(get('n')).toMatchObject({ dtype: 'int32', shape: [3] });
    expect(Array.from(get('n').data)).toEqual([-1, 2147483647, -2147483648]);
    expect(get('h').dtype).toBe('float32');
    expect(Array.from(get('h').data)).toEqual([1, -2, 0.5, 2 ** -24, Infinity, -65504]);
    expect(Array.from(get('bf').data)).toEqual([1, -3.5, 0]);
    expect(Array.from(get('s16').data)).toEqual([-300, 12]);
    expect(Array.from(get('s8').data)).toEqual([-128, 127, 0]);
    expect(Array.from(get('u8').data)).toEqual([255, 0]);
    expect(get('bl')).toMatchObject({ dtype: 'int32', shape: [2, 2] });
    expect(Array.from(get('bl').data)).toEqual([1, 0, 1, 1]);
    expect(get('i')).toMatchObject({ dtype: 'int32', shape: [] });
    expect(Array.from(get('i').data)).toEqual([5]);
    expect(get('empty')).toMatchObject({ dtype: 'float32', shape: [0] });
    expect(get('empty').data.length).toBe(0);
    for (const t of Object.values(tensors)) {
      expect(t.data instanceof (t.dtype === 'float32' ? Float32Array : Int32Array)).toBe(true);
    }
  });

  it('accepts an unpadded header too', () => {
    const unpadded = buildFile(header, concat(parts.map((p) => p[3])), { pad: false });
    expect(Array.from(decodeSafetensors(unpadded).tensors['w']!.data)).toEqual(Array.from(w));
  });
});

// ---------------------------------------------------------------------------------------------------
// malformed files

describe('malformed files give a one-line SafetensorsError naming the file (and tensor)', () => {
  const good = (): { header: Record<string, unknown>; data: Uint8Array } => ({
    header: {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] },
    },
    data: new Uint8Array(12),
  });

  async function expectBad(bytes: Uint8Array | null, pattern: RegExp, tensor?: string): Promise<void> {
    const path = join(dir, 'bad.safetensors');
    if (bytes !== null) await writeFile(path, bytes);
    let caught: unknown;
    try {
      const t = await readSafetensors(path);
      tf.dispose(Object.values(t));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SafetensorsError);
    const e = caught as SafetensorsError;
    expect(e.message).toContain(path);
    expect(e.message).not.toMatch(/[\r\n]/);
    expect(e.message).toMatch(pattern);
    expect(e.source).toBe(path);
    if (tensor !== undefined) {
      expect(e.tensor).toBe(tensor);
      expect(e.message).toContain(JSON.stringify(tensor));
    }
  }

  it('sanity: the good file reads', async () => {
    const { header, data } = good();
    const path = join(dir, 'ok.safetensors');
    await writeFile(path, buildFile(header, data));
    const t = await readSafetensors(path);
    expect(Object.keys(t).sort()).toEqual(['a', 'b']);
    tf.dispose(Object.values(t));
  });

  it('missing file', () => expectBad(null, /no such file/));
  it('empty file', () => expectBad(new Uint8Array(0), /too short/));
  it('file shorter than the length field', () => expectBad(new Uint8Array([1, 0, 0]), /too short/));

  it('header length beyond the file', async () => {
    const { header, data } = good();
    await expectBad(buildFile(header, data, { headerLen: 1n << 40n }), /header length .* past the end/);
  });

  it('bad JSON', () => expectBad(buildFile('{"a": {"dtype": "F32",', new Uint8Array(0)), /not valid JSON/));
  it('invalid UTF-8', () => expectBad(concat([le(new BigUint64Array([2n])), new Uint8Array([0xff, 0xfe])]), /UTF-8/));
  it('header not an object', () => expectBad(buildFile([1, 2], new Uint8Array(0)), /not an object/));

  it('metadata value not a string', async () => {
    const { header, data } = good();
    await expectBad(buildFile({ ...header, __metadata__: { epoch: 3 } }, data), /"epoch" is not a string/);
  });

  it('unknown dtype', async () => {
    const { header, data } = good();
    header['a'] = { dtype: 'Q4', shape: [2], data_offsets: [0, 8] };
    await expectBad(buildFile(header, data), /unsupported dtype "Q4"/, 'a');
  });

  it('bad shape', async () => {
    const { header, data } = good();
    header['a'] = { dtype: 'F32', shape: [-2], data_offsets: [0, 8] };
    await expectBad(buildFile(header, data), /shape/, 'a');
  });

  it('bad data_offsets', async () => {
    const { header, data } = good();
    header['b'] = { dtype: 'I32', shape: [1], data_offsets: [8] };
    await expectBad(buildFile(header, data), /data_offsets/, 'b');
  });

  it('offsets past the end of the buffer', async () => {
    const { header, data } = good();
    header['b'] = { dtype: 'I32', shape: [1], data_offsets: [12, 16] };
    await expectBad(buildFile(header, data), /past the end of the data buffer/, 'b');
  });

  it('truncated file', async () => {
    const { header, data } = good();
    const full = buildFile(header, data);
    await expectBad(full.subarray(0, full.byteLength - 3), /past the end of the data buffer .*truncated/, 'b');
  });

  it('offsets not matching dtype x shape', async () => {
    const { header, data } = good();
    header['a'] = { dtype: 'F32', shape: [3], data_offsets: [0, 8] };
    await expectBad(buildFile(header, data), /span 8 bytes but F32 \[3\] needs 12/, 'a');
  });

  it('overlapping tensors', async () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'I32', shape: [1], data_offsets: [4, 8] },
    };
    await expectBad(buildFile(header, new Uint8Array(8)), /overlap tensor "a"/, 'b');
  });

  it('gap between tensors', async () => {
    const header = {
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] },
    };
    await expectBad(buildFile(header, new Uint8Array(12)), /gap of 4 bytes/, 'b');
  });

  it('trailing bytes after the last tensor', async () => {
    const { header } = good();
    await expectBad(buildFile(header, new Uint8Array(16)), /trailing bytes/);
  });

  it('I64 value that does not fit int32', async () => {
    const header = { big: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } };
    await expectBad(buildFile(header, le(new BigInt64Array([1n, 1n << 31n]))), /2147483648 at flat index 1 does not fit in int32/, 'big');
  });

  it('decodeSafetensors names "<buffer>" by default', () => {
    expect(() => decodeSafetensors(new Uint8Array(2))).toThrow(/^safetensors <buffer>: /);
  });
});

// ---------------------------------------------------------------------------------------------------
// atomic writes

describe('atomic writes', () => {
  it('leaves only the target file, and replaces an old one', async () => {
    const path = join(dir, 'ckpt.safetensors');
    await writeSafetensors(path, { x: f32([1], [1]) });
    await writeSafetensors(path, { x: f32([2], [2, 3]) });
    expect(await readdir(dir)).toEqual(['ckpt.safetensors']);
    expect(Array.from(decodeSafetensors(await readFile(path)).tensors['x']!.data)).toEqual([2, 3]);
  });

  it('a tensor it cannot write leaves the old file untouched and no temp files', async () => {
    const path = join(dir, 'ckpt.safetensors');
    await writeSafetensors(path, { x: f32([1], [1]) });
    const old = await readFile(path);
    const bad = tf.tensor([true, false], [2], 'bool');
    const good = tf.tensor([1, 2], [2]);
    await expect(writeSafetensors(path, { good, bad })).rejects.toThrow(SafetensorsError);
    await expect(writeSafetensors(path, { good, bad })).rejects.toThrow(new RegExp(`${path}.*"bad".*bool cannot be written`));
    const c = tf.complex([1], [2]);
    await expect(writeSafetensors(path, { c })).rejects.toThrow(/complex64 cannot be written/);
    tf.dispose([bad, good, c]);
    expect((await readFile(path)).equals(old)).toBe(true);
    expect(await readdir(dir)).toEqual(['ckpt.safetensors']);
  });

  it('a failed rename (target is a directory) removes the temp file', async () => {
    const path = join(dir, 'taken');
    await mkdir(path);
    await writeFile(join(path, 'inside'), 'keep');
    await expect(writeSafetensors(path, { x: f32([1], [1]) })).rejects.toThrow(new RegExp(`safetensors ${path}: cannot write file`));
    expect(await readdir(dir)).toEqual(['taken']);
    expect(await readFile(join(path, 'inside'), 'utf8')).toBe('keep');
  });

  it('writeFileAtomic writes bytes and strings and fails cleanly in a missing folder', async () => {
    const p = join(dir, 'a.txt');
    await writeFileAtomic(p, 'hello');
    await writeFileAtomic(p, new Uint8Array([104, 105]));
    expect(await readFile(p, 'utf8')).toBe('hi');
    await expect(writeFileAtomic(join(dir, 'nope', 'b.txt'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual(['a.txt']);
  });
});

// ---------------------------------------------------------------------------------------------------
// the PyTorch reference fixtures (scripts/make_torch_fixtures.py) decode and are self-consistent

describe('PyTorch fixtures in test/fixtures/torch', () => {
  const fixtures = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));

  it('shake_resnet14_2x8d: shapes, dtypes and record set', async () => {
    const path = join(fixtures, 'shake_resnet14_2x8d.safetensors');
    const { tensors: t, metadata } = decodeSafetensors(await readFile(path), path);
    expect(metadata['model']).toBe('ShakeResNet(14, 8, 10)');
    expect(metadata['shake_mode']).toMatch(/even/);
    expect(t['input']).toMatchObject({ dtype: 'float32', shape: [4, 3, 32, 32] });
    expect(t['labels']).toMatchObject({ dtype: 'int32', shape: [4] });
    expect(t['eval_logits']!.shape).toEqual([4, 10]);
    expect(t['train_logits']!.shape).toEqual([4, 10]);
    expect(t['loss']).toMatchObject({ dtype: 'float32', shape: [] });
    expect(t['state.c_in.weight']!.shape).toEqual([16, 3, 3, 3]);
    expect(t['state.fc_out.weight']!.shape).toEqual([10, 32]);
    const unused = JSON.parse(metadata['unused_keys']!) as string[];
    expect(unused).toContain('layer1.1.shortcut.conv1.weight');
    for (const k of unused) {
      expect(t[`state.${k}`], k).toBeDefined();
      expect(t[`grad.${k}`], k).toBeUndefined();
      expect(t[`after.${k}`], k).toBeUndefined();
    }
    const names = Object.keys(t);
    const grads = names.filter((n) => n.startsWith('grad.'));
    expect(grads.length).toBeGreaterThan(50);
    for (const g of grads) expect(t[g]!.shape, g).toEqual(t[`state.${g.slice(5)}`]!.shape);
    for (const n of names.filter((k) => k.endsWith('num_batches_tracked'))) {
      expect(t[n]!.dtype, n).toBe('int32');
      expect(t[n]!.data[0], n).toBe(n.startsWith('after.') ? 1 : 0);
    }
  });

  it.each(['shake_bottleneck_s1', 'shake_bottleneck_s2'])('%s: record set', async (name) => {
    const path = join(fixtures, `${name}.safetensors`);
    const { tensors: t } = decodeSafetensors(await readFile(path), path);
    const stride = name.endsWith('s2') ? 2 : 1;
    const inCh = stride === 2 ? 16 : 32;
    expect(t['input']!.shape).toEqual([2, inCh, 8, 8]);
    expect(t['grad_input']!.shape).toEqual([2, inCh, 8, 8]);
    for (const k of ['eval_out', 'train_out', 'r']) expect(t[k]!.shape, k).toEqual([2, 32, 8 / stride, 8 / stride]);
    expect(t['loss']!.shape).toEqual([]);
    expect(t['state.branch1.3.weight']!.shape).toEqual([16, 4, 3, 3]); // grouped conv, groups 4
    expect(t['state.shortcut.conv1.weight'] !== undefined).toBe(stride === 2);
  });
});
