/**
 * Test helpers for the weight readers: fixture paths, a byte-level comparison of host tensors,
 * a tiny zip writer (stored / deflate, optionally zip64) and a pickle assembler, so malformed and
 * unusual checkpoints can be built by hand without Python.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync } from "node:zlib";
import type { HostTensor } from "../../src/runtime/io/host-tensor.js";
import { crc32 } from "../../src/runtime/io/zip.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/uniformerv2/", import.meta.url));
export const fixture = (set: "A" | "C", file: string) => join(FIXTURES, set, file);

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "wgtensor-io-"));
}

export function bytesOfTensor(t: HostTensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Same dtype, shape and bytes. */
export function sameTensor(a: HostTensor | undefined, b: HostTensor | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return (
    a.dtype === b.dtype &&
    a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i]) &&
    bytesOfTensor(a).equals(bytesOfTensor(b))
  );
}

// ---------------------------------------------------------------------------------------------
// zip

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** 0 = stored (default), 8 = deflate */
  method?: 0 | 8;
  /** the entry's body as stored, instead of `data` deflated (a body that does not inflate to `data`: a bomb) */
  compressed?: Uint8Array;
}

/** A zip archive of `entries`; with `zip64`, every size and offset goes through zip64 records. */
export function buildZip(entries: readonly ZipInput[], opts: { zip64?: boolean } = {}): Uint8Array {
  const z64 = opts.zip64 === true;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const method = e.method ?? 0;
    const body = e.compressed ? Buffer.from(e.compressed) : method === 8 ? deflateRawSync(e.data) : Buffer.from(e.data);
    const crc = crc32(e.data);
    const localExtra = z64 ? u16u16(0x0001, 16, u64(e.data.byteLength), u64(body.byteLength)) : Buffer.alloc(0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(z64 ? 45 : 20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(z64 ? 0xffffffff : body.byteLength, 18);
    local.writeUInt32LE(z64 ? 0xffffffff : e.data.byteLength, 22);
    local.writeUInt16LE(name.byteLength, 26);
    local.writeUInt16LE(localExtra.byteLength, 28);
    parts.push(local, name, localExtra, body);

    const cExtra = z64 ? u16u16(0x0001, 24, u64(e.data.byteLength), u64(body.byteLength), u64(offset)) : Buffer.alloc(0);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(z64 ? 45 : 20, 4);
    c.writeUInt16LE(z64 ? 45 : 20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(method, 10);
    c.writeUInt16LE(0x21, 14);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(z64 ? 0xffffffff : body.byteLength, 20);
    c.writeUInt32LE(z64 ? 0xffffffff : e.data.byteLength, 24);
    c.writeUInt16LE(name.byteLength, 28);
    c.writeUInt16LE(cExtra.byteLength, 30);
    c.writeUInt32LE(z64 ? 0xffffffff : offset, 42);
    central.push(c, name, cExtra);
    offset += 30 + name.byteLength + localExtra.byteLength + body.byteLength;
  }
  const cd = Buffer.concat(central);
  const cdOffset = offset;
  const tail: Buffer[] = [];
  if (z64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(entries.length), 24);
    rec.writeBigUInt64LE(BigInt(entries.length), 32);
    rec.writeBigUInt64LE(BigInt(cd.byteLength), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(cdOffset + cd.byteLength), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(z64 ? 0xffff : entries.length, 8);
  eocd.writeUInt16LE(z64 ? 0xffff : entries.length, 10);
  eocd.writeUInt32LE(z64 ? 0xffffffff : cd.byteLength, 12);
  eocd.writeUInt32LE(z64 ? 0xffffffff : cdOffset, 16);
  return new Uint8Array(Buffer.concat([...parts, cd, ...tail, eocd]));
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

function u16u16(id: number, len: number, ...body: Buffer[]): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(id, 0);
  h.writeUInt16LE(len, 2);
  return Buffer.concat([h, ...body]);
}

/** A torch.save-style archive: `<prefix>/data.pkl`, `<prefix>/data/<key>` per storage, `<prefix>/version`. */
export function torchZip(
  pickle: Uint8Array,
  storages: Record<string, Uint8Array>,
  opts: { prefix?: string; zip64?: boolean; method?: 0 | 8; extra?: ZipInput[] } = {},
): Uint8Array {
  const p = opts.prefix ?? "archive";
  const entries: ZipInput[] = [{ name: `${p}/data.pkl`, data: pickle, method: opts.method ?? 0 }];
  for (const [k, v] of Object.entries(storages)) entries.push({ name: `${p}/data/${k}`, data: v, method: opts.method ?? 0 });
  entries.push({ name: `${p}/version`, data: Buffer.from("3\n"), method: 0 }, ...(opts.extra ?? []));
  return buildZip(entries, { zip64: opts.zip64 ?? false });
}

// ---------------------------------------------------------------------------------------------
// pickle assembly

type Part = number[] | Uint8Array;

export function pickle(...parts: Part[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
}

const lenPrefixed = (opcode: number, lenBytes: number, s: string): number[] => {
  const b = Buffer.from(s, "utf8");
  const l = Buffer.alloc(lenBytes);
  if (lenBytes === 1) l.writeUInt8(b.byteLength);
  else if (lenBytes === 4) l.writeUInt32LE(b.byteLength);
  else l.writeBigUInt64LE(BigInt(b.byteLength));
  return [opcode, ...l, ...b];
};

export const P = {
  proto: (n = 2) => [0x80, n],
  frame: (n: number) => [0x95, ...u64(n)],
  stop: [0x2e],
  mark: [0x28],
  tuple: [0x74],
  tuple1: [0x85],
  tuple2: [0x86],
  tuple3: [0x87],
  emptyTuple: [0x29],
  emptyDict: [0x7d],
  emptyList: [0x5d],
  setitem: [0x73],
  setitems: [0x75],
  append: [0x61],
  appends: [0x65],
  reduce: [0x52],
  build: [0x62],
  newobj: [0x81],
  binpersid: [0x51],
  none: [0x4e],
  true: [0x88],
  false: [0x89],
  memoize: [0x94],
  stackGlobal: [0x93],
  global: (module: string, name: string) => [0x63, ...Buffer.from(`${module}\n${name}\n`, "latin1")],
  str: (s: string) => lenPrefixed(0x58, 4, s),
  shortStr: (s: string) => lenPrefixed(0x8c, 1, s),
  str8: (s: string) => lenPrefixed(0x8d, 8, s),
  int: (n: number): number[] => {
    if (n >= 0 && n < 256) return [0x4b, n];
    if (n >= 0 && n < 65536) return [0x4d, n & 0xff, n >> 8];
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return [0x4a, ...b];
  },
  long1: (v: bigint): number[] => {
    const bytes: number[] = [];
    let x = v;
    // two's complement, little-endian, minimal-ish length
    do {
      bytes.push(Number(BigInt.asUintN(8, x)));
      x >>= 8n;
    } while (!(x === 0n && (bytes[bytes.length - 1]! & 0x80) === 0) && !(x === -1n && (bytes[bytes.length - 1]! & 0x80) !== 0));
    return [0x8a, bytes.length, ...bytes];
  },
  float: (x: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    return [0x47, ...b];
  },
  put: (i: number) => [0x71, i],
  get: (i: number) => [0x68, i],
};

/** The ops for `_rebuild_tensor_v2(storage(cls, key, numel), offset, size, stride, False, OrderedDict())`. */
export function tensorOps(cls: string, key: string, numel: number, offset: number, size: number[], stride: number[]): number[] {
  const tup = (xs: number[]) => [...P.mark, ...xs.flatMap((x) => P.int(x)), ...P.tuple];
  return [
    ...P.global("torch._utils", "_rebuild_tensor_v2"),
    ...P.mark,
    ...P.mark,
    ...P.str("storage"),
    ...P.global("torch", cls),
    ...P.str(key),
    ...P.str("cpu"),
    ...P.int(numel),
    ...P.tuple,
    ...P.binpersid,
    ...P.int(offset),
    ...tup(size),
    ...tup(stride),
    ...P.false,
    ...P.global("collections", "OrderedDict"),
    ...P.emptyTuple,
    ...P.reduce,
    ...P.tuple,
    ...P.reduce,
  ];
}

export function f32bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}
