/**
 * @file A minimal zip reader (PKWARE APPNOTE 6.3): end-of-central-directory record (and its
 * zip64 form), central directory, local headers; stored and deflate entries (node:zlib); CRC-32
 * checked. Enough for PyTorch's `torch.save` archives, which store every record uncompressed
 * with sizes in a data descriptor (flag bit 3) and switch to zip64 past 4 GiB.
 *
 * Not supported (rejected with a clear error): multi-disk archives, encryption, compression
 * methods other than stored (0) and deflate (8).
 */
import { Inflate } from "fflate";
import { WeightFileError, type ByteSource } from "./source.js";

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

export interface ZipReadOptions {
  /** check each entry's CRC-32 (default true) */
  verifyCrc?: boolean;
}

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  /** whether the archive used zip64 records */
  readonly zip64: boolean;

  constructor(
    readonly src: ByteSource,
    private readonly options: ZipReadOptions = {},
  ) {
    const file = src.name;
    const fail = (problem: string): never => {
      throw new WeightFileError(file, problem);
    };
    if (src.size === 0) fail("not a zip archive: the file is empty");
    if (src.size < 22) fail(`not a zip archive: ${src.size} bytes is too short`);

    // End of central directory: 22 bytes + a comment of up to 65535 bytes, at the very end.
    const tailLen = Math.min(src.size, 22 + 0xffff);
    const tailStart = src.size - tailLen;
    const tail = src.read(tailStart, tailLen);
    const tv = new DataView(tail.buffer);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tv.getUint32(i, true) === SIG_EOCD && i + 22 + tv.getUint16(i + 20, true) <= tailLen) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      const head = src.read(0, Math.min(4, src.size));
      let hint = "";
      if (head[0] === 0x80) hint = " (it starts like a bare pickle: the legacy torch.save format of torch < 1.6, which is not supported; re-save it with torch >= 1.6)";
      else if (head[0] === 0x50 && head[1] === 0x4b) hint = " (it starts like a zip: the archive is truncated)";
      fail(`not a zip archive or truncated: no end-of-central-directory record${hint}`);
    }
    const eocdAbs = tailStart + eocd;
    const diskNo = tv.getUint16(eocd + 4, true);
    const cdDisk = tv.getUint16(eocd + 6, true);
    let count = tv.getUint16(eocd + 10, true);
    let cdSize = tv.getUint32(eocd + 12, true);
    let cdOffset = tv.getUint32(eocd + 16, true);
    let cdLimit = eocdAbs;

    const hasLocator = eocd >= 20 && tv.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR;
    this.zip64 = hasLocator;
    if (hasLocator) {
      const recOffset = u64(tv, eocd - 20 + 8, file, "zip64 end-of-central-directory offset");
      if (recOffset + 56 > eocdAbs - 20) fail(`zip64 end-of-central-directory record offset ${recOffset} is out of range (truncated or corrupt archive)`);
      const rec = src.read(recOffset, 56);
      const rv = new DataView(rec.buffer);
      if (rv.getUint32(0, true) !== SIG_ZIP64_EOCD) fail(`no zip64 end-of-central-directory record at offset ${recOffset} (truncated or corrupt archive)`);
      if (rv.getUint32(16, true) !== 0 || rv.getUint32(20, true) !== 0) fail("multi-disk zip archives are not supported");
      count = u64(rv, 32, file, "zip64 entry count");
      cdSize = u64(rv, 40, file, "zip64 central directory size");
      cdOffset = u64(rv, 48, file, "zip64 central directory offset");
      cdLimit = recOffset;
    } else {
      if (diskNo !== 0 || cdDisk !== 0) fail("multi-disk zip archives are not supported");
      if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
        fail("zip64 archive without a zip64 end-of-central-directory locator");
      }
    }
    if (cdOffset + cdSize > cdLimit) {
      fail(`central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${cdLimit} (truncated or corrupt archive)`);
    }

    const cd = src.read(cdOffset, cdSize);
    const cv = new DataView(cd.buffer);
    const utf8 = new TextDecoder("utf-8");
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cdSize || cv.getUint32(p, true) !== SIG_CENTRAL) fail(`central directory entry ${i} of ${count} is missing or corrupt (at offset ${cdOffset + p})`);
      const flags = cv.getUint16(p + 8, true);
      const method = cv.getUint16(p + 10, true);
      const crc32 = cv.getUint32(p + 16, true);
      let compressedSize = cv.getUint32(p + 20, true);
      let uncompressedSize = cv.getUint32(p + 24, true);
      const nameLen = cv.getUint16(p + 28, true);
      const extraLen = cv.getUint16(p + 30, true);
      const commentLen = cv.getUint16(p + 32, true);
      const diskStart = cv.getUint16(p + 34, true);
      let localHeaderOffset = cv.getUint32(p + 42, true);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > cdSize) fail(`central directory entry ${i} runs past the central directory`);
      const name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
      // zip64 extended information: the 8-byte values replacing those saturated at 0xffffffff, in order
      if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
        let q = p + 46 + nameLen;
        const extraEnd = q + extraLen;
        let found = false;
        while (q + 4 <= extraEnd) {
          const id = cv.getUint16(q, true);
          const len = cv.getUint16(q + 2, true);
          if (q + 4 + len > extraEnd) break;
          if (id === 0x0001) {
            let r = q + 4;
            const take = (what: string): number => {
              if (r + 8 > q + 4 + len) fail(`zip entry ${JSON.stringify(name)}: zip64 extra field lacks the ${what}`);
              const v = u64(cv, r, file, `zip entry ${JSON.stringify(name)} ${what}`);
              r += 8;
              return v;
            };
            if (uncompressedSize === 0xffffffff) uncompressedSize = take("uncompressed size");
            if (compressedSize === 0xffffffff) compressedSize = take("compressed size");
            if (localHeaderOffset === 0xffffffff) localHeaderOffset = take("local header offset");
            found = true;
            break;
          }
          q += 4 + len;
        }
        if (!found) fail(`zip entry ${JSON.stringify(name)} has saturated sizes but no zip64 extra field`);
        this.zip64 = true;
      }
      if (diskStart !== 0 && diskStart !== 0xffff) fail("multi-disk zip archives are not supported");
      if (this.entries.has(name)) fail(`duplicate zip entry ${JSON.stringify(name)}`);
      this.entries.set(name, { name, method, flags, crc32, compressedSize, uncompressedSize, localHeaderOffset });
      p = end;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The uncompressed bytes of entry `name` (a fresh buffer), checked against its sizes and CRC-32. */
  read(name: string): Uint8Array {
    const file = this.src.name;
    const e = this.entries.get(name);
    const fail = (problem: string): never => {
      throw new WeightFileError(file, `zip entry ${JSON.stringify(name)}: ${problem}`);
    };
    if (e === undefined) return fail("no such entry");
    if (e.flags & 0x1) fail("encrypted entries are not supported");
    if (e.method !== 0 && e.method !== 8) fail(`compression method ${e.method} is not supported (only stored and deflate)`);
    if (e.localHeaderOffset + 30 > this.src.size) fail(`truncated: local header at ${e.localHeaderOffset} is past the end of the file (${this.src.size} bytes)`);
    const lh = this.src.read(e.localHeaderOffset, 30);
    const lv = new DataView(lh.buffer);
    if (lv.getUint32(0, true) !== SIG_LOCAL) fail(`no local file header at offset ${e.localHeaderOffset} (corrupt archive)`);
    const nameLen = lv.getUint16(26, true);
    const extraLen = lv.getUint16(28, true);
    const dataStart = e.localHeaderOffset + 30 + nameLen + extraLen;
    if (dataStart + e.compressedSize > this.src.size) {
      fail(`truncated: its data [${dataStart}, ${dataStart + e.compressedSize}) runs past the end of the file (${this.src.size} bytes)`);
    }
    const localName = new TextDecoder("utf-8").decode(this.src.read(e.localHeaderOffset + 30, nameLen));
    if (localName !== name) fail(`local header names ${JSON.stringify(localName)} (corrupt archive)`);
    const raw = this.src.read(dataStart, e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.uncompressedSize) fail(`stored entry has compressed size ${e.compressedSize} != uncompressed size ${e.uncompressedSize}`);
      data = raw;
    } else {
      try {
        data = inflateCapped(raw, e.uncompressedSize);
      } catch (err) {
        return fail(`corrupt deflate data: ${(err as Error).message}`);
      }
    }
    if (this.options.verifyCrc !== false) {
      const crc = crc32(data);
      if (crc !== e.crc32) fail(`CRC-32 mismatch (stored ${hex(e.crc32)}, computed ${hex(crc)}): corrupt data`);
    }
    return data;
  }
}

function u64(v: DataView, at: number, file: string, what: string): number {
  const x = v.getBigUint64(at, true);
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new WeightFileError(file, `${what} ${x} is too large`);
  return Number(x);
}

function hex(x: number): string {
  return `0x${x.toString(16).padStart(8, "0")}`;
}

let crcTables: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zip uses), slicing-by-8. */
/**
 * Raw deflate → exactly `expected` bytes. The stream is fed in small pieces and stopped as soon
 * as it produces more than the entry declares, so a deflate bomb costs at most `expected` bytes
 * and the time to inflate them (fflate: the same code in Node and browsers).
 */
function inflateCapped(raw: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let produced = 0;
  const inflater = new Inflate((chunk) => {
    if (produced + chunk.byteLength > expected) throw new Error(`inflates past the ${expected} bytes the entry declares`);
    out.set(chunk, produced);
    produced += chunk.byteLength;
  });
  const piece = 1 << 14;
  if (raw.byteLength === 0) inflater.push(raw, true);
  for (let at = 0; at < raw.byteLength; at += piece) inflater.push(raw.subarray(at, at + piece), at + piece >= raw.byteLength);
  if (produced !== expected) throw new Error(`inflated to ${produced} bytes, expected ${expected}`);
  return out;
}

export function crc32(data: Uint8Array, crc = 0): number {
  if (crcTables === undefined) {
    // table k (at k * 256) advances a byte followed by k zero bytes
    crcTables = new Uint32Array(8 * 256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTables[n] = c >>> 0;
    }
    for (let n = 0; n < 256; n++) {
      for (let k = 1; k < 8; k++) {
        const prev = crcTables[(k - 1) * 256 + n]!;
        crcTables[k * 256 + n] = (crcTables[prev & 0xff]! ^ (prev >>> 8)) >>> 0;
      }
    }
  }
  const t = crcTables;
  let c = ~crc >>> 0;
  let i = 0;
  const n = data.length;
  for (; i + 8 <= n; i += 8) {
    const a = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t[7 * 256 + (a & 0xff)]! ^
      t[6 * 256 + ((a >>> 8) & 0xff)]! ^
      t[5 * 256 + ((a >>> 16) & 0xff)]! ^
      t[4 * 256 + (a >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
