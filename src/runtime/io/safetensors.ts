/**
 * @file safetensors reading and writing (https://github.com/huggingface/safetensors, format
 * description in its README): an 8-byte little-endian header length N, N bytes of a JSON object
 * `{ "__metadata__"?: {str: str}, name: { dtype, shape, data_offsets: [begin, end] } }` (offsets
 * relative to the data section after the header, which may be padded with spaces), then the data.
 *
 * The reader checks everything before trusting it: header length inside the file, header UTF-8
 * JSON object, metadata strings, each entry's dtype, shape (non-negative integers), offsets
 * (inside the data section, size = product(shape) · itemsize, no two tensors overlapping), bool
 * bytes 0/1. Errors are WeightFileErrors naming the file and the tensor.
 *
 * The writer sorts the header keys, pads the header with spaces to a multiple of 8 bytes, lays
 * the data out by decreasing itemsize (then name) so every tensor is aligned to its element
 * size, and writes a temporary file in the target directory that is renamed over the target
 * only once complete (fsync'd): a failed write leaves nothing behind and an old file intact.
 */
import { sizeOf } from "../../dsl/host/view.js";
import { platform } from "#platform";
import {
  bytesOf,
  hostTensorProblem,
  ITEMSIZE,
  typedArrayOver,
  type HostDType,
  type HostTensor,
} from "./host-tensor.js";
import { memorySource, WeightFileError, withFile, type ByteSource } from "./source.js";

export interface SafetensorsFile {
  /** tensors in header order */
  tensors: Map<string, HostTensor>;
  /** the `__metadata__` string map ({} when absent) */
  metadata: Record<string, string>;
}

/** One header entry, as validated. `begin`/`end` are relative to the data section. */
export interface SafetensorsEntry {
  name: string;
  dtype: HostDType;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** absolute byte offset of the data section (8 + header length) */
  dataStart: number;
}

const FROM_CODE: Readonly<Record<string, HostDType>> = {
  F32: "float32",
  F64: "float64",
  F16: "float16",
  BF16: "bfloat16",
  I64: "int64",
  I32: "int32",
  I16: "int16",
  I8: "int8",
  U8: "uint8",
  BOOL: "bool",
};

const TO_CODE: Readonly<Record<HostDType, string>> = {
  float32: "F32",
  float64: "F64",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
};

/** dtypes the format defines that wgtensor has no host representation for */
const UNSUPPORTED_CODES = new Set(["U16", "U32", "U64", "C64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4"]);

/**
 * The reference implementation allows 100 MB headers; parsing one costs gigabytes of JSON
 * objects. Real headers are kilobytes (B/16: ~40 KB), large ones a few MB of metadata.
 */
const MAX_HEADER = 16 * 2 ** 20;
/** Nesting a valid header never exceeds: {entry: {shape: [..]}} is 3 deep. */
const MAX_HEADER_DEPTH = 4;
/** Far more tensors than any model has (B/16: ~400; large LLMs: tens of thousands). */
const MAX_ENTRIES = 200_000;

/**
 * One pass over the header's JSON text, before `JSON.parse` builds anything: whether it nests
 * too deep (a file cannot make the parser or an error message recurse deeply), the number of top-level
 * keys, and the first top-level key that appears twice (`JSON.parse` would keep the last one
 * silently). Strings are skipped with their escapes; the text is validated by JSON.parse after.
 */
function scanHeader(text: string): { keys: number; duplicate?: string; tooDeep: boolean } {
  let depth = 0;
  let keys = 0;
  let expectKey = false;
  const seen = new Set<string>();
  let duplicate: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      if (depth === 1 && expectKey) {
        keys++;
        let key: string;
        try {
          key = JSON.parse(text.slice(start, i + 1)) as string;
        } catch {
          key = text.slice(start + 1, i);
        }
        if (seen.has(key)) duplicate ??= key;
        else seen.add(key);
        expectKey = false;
      }
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      depth++;
      if (depth > MAX_HEADER_DEPTH) return { keys, tooDeep: true };
      expectKey = depth === 1 && ch === 0x7b;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      depth--;
    } else if (ch === 0x2c /* , */ && depth === 1) {
      expectKey = true;
    }
  }
  return { keys, tooDeep: false, ...(duplicate !== undefined ? { duplicate } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Parse a whole safetensors file already in memory. `source` names it in errors. */
export function readSafetensors(bytes: Uint8Array, source = "<bytes>"): SafetensorsFile {
  return readSafetensorsSource(memorySource(bytes, source));
}

/** Read a safetensors file (by position: the file is not loaded whole before validation). */
export function loadSafetensors(path: string): SafetensorsFile {
  return withFile(path, readSafetensorsSource);
}

/** Only the validated header of a safetensors file (names, dtypes, shapes, offsets, metadata). */
export function loadSafetensorsHeader(path: string): SafetensorsHeader {
  return withFile(path, parseHeader);
}

/** Read a safetensors file from an open byte source (by position: validated before any data is read). */
export function readSafetensorsSource(src: ByteSource): SafetensorsFile {
  const header = parseHeader(src);
  const tensors = new Map<string, HostTensor>();
  for (const e of header.entries) {
    const bytes = src.read(header.dataStart + e.begin, e.end - e.begin);
    if (e.dtype === "bool") {
      const bad = bytes.findIndex((b) => b > 1);
      if (bad >= 0) throw new WeightFileError(src.name, `bool element ${bad} has byte value ${bytes[bad]} (must be 0 or 1)`, e.name);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: typedArrayOver(e.dtype, bytes) } as HostTensor);
  }
  return { tensors, metadata: header.metadata };
}

function parseHeader(src: ByteSource): SafetensorsHeader {
  const file = src.name;
  const fail = (problem: string, tensor?: string): never => {
    throw new WeightFileError(file, problem, tensor);
  };
  if (src.size < 8) fail(`not a safetensors file: ${src.size} bytes is too short for the 8-byte header length`);
  const lenBytes = src.read(0, 8);
  const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (n > BigInt(src.size - 8)) fail(`header length ${n} runs past the end of the file (${src.size} bytes, so at most ${src.size - 8})`);
  if (n > BigInt(MAX_HEADER)) fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  const headerLen = Number(n);
  const dataStart = 8 + headerLen;
  const dataLen = src.size - dataStart;

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(src.read(8, headerLen));
  } catch {
    return fail("header is not valid UTF-8");
  }
  if (!text.startsWith("{")) fail(`header does not start with '{' (not JSON object text: ${JSON.stringify(text.slice(0, 20))})`);
  const scan = scanHeader(text);
  if (scan.tooDeep) fail(`header nests deeper than ${MAX_HEADER_DEPTH} levels (a valid header nests 3)`);
  if (scan.keys > MAX_ENTRIES) fail(`header has ${scan.keys} entries, more than the ${MAX_ENTRIES} allowed`);
  if (scan.duplicate !== undefined) fail(`header names tensor ${JSON.stringify(scan.duplicate)} twice`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return fail("header JSON is not an object");

  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) fail("__metadata__ is not an object of strings");
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`__metadata__[${JSON.stringify(k)}] is ${JSON.stringify(v)}, not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) fail("header entry is not an object", name);
    const info = value as Record<string, unknown>;
    for (const key of Object.keys(info)) {
      if (key !== "dtype" && key !== "shape" && key !== "data_offsets") fail(`unexpected field ${JSON.stringify(key)} in header entry`, name);
    }
    const code = info.dtype;
    if (typeof code !== "string") return fail(`dtype is ${JSON.stringify(code)}, not a string`, name);
    const dtype = FROM_CODE[code];
    if (dtype === undefined) {
      return fail(UNSUPPORTED_CODES.has(code) ? `dtype ${code} is not supported` : `unknown dtype ${JSON.stringify(code)}`, name);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 0)) {
      return fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`, name);
    }
    const numel = sizeOf(shape as number[]);
    const nbytes = numel * ITEMSIZE[dtype];
    if (!Number.isSafeInteger(nbytes)) fail(`shape ${JSON.stringify(shape)} is too large`, name);
    const offs = info.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => typeof o === "number" && Number.isSafeInteger(o) && o >= 0)
    ) {
      return fail(`data_offsets ${JSON.stringify(offs)} is not a pair of non-negative integers`, name);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) fail(`data_offsets [${begin}, ${end}] end before they begin`, name);
    if (end > dataLen) fail(`data_offsets [${begin}, ${end}] run past the end of the data section (${dataLen} bytes)`, name);
    if (end - begin !== nbytes) {
      fail(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${code} shape ${JSON.stringify(shape)} needs ${nbytes}`, name);
    }
    entries.push({ name, dtype, shape: [...(shape as number[])], begin, end });
  }

  // The tensors tile the data section exactly, as the reference implementation demands: no
  // overlap, no gap, no trailing bytes (bytes no tensor owns would be silently ignored).
  const byOffset = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (let i = 0; i < byOffset.length; i++) {
    const cur = byOffset[i]!;
    if (i > 0 && cur.begin < covered) {
      const prev = byOffset[i - 1]!;
      fail(`data_offsets [${cur.begin}, ${cur.end}] overlap those of tensor ${JSON.stringify(prev.name)} [${prev.begin}, ${prev.end}]`, cur.name);
    }
    if (cur.begin > covered) fail(`data_offsets [${cur.begin}, ${cur.end}] leave a gap: bytes [${covered}, ${cur.begin}) of the data section belong to no tensor`, cur.name);
    covered = cur.end;
  }
  if (covered < dataLen) fail(`${dataLen - covered} trailing byte(s) after the last tensor: bytes [${covered}, ${dataLen}) of the data section belong to no tensor`);
  return { entries, metadata, dataStart };
}

// ---------------------------------------------------------------------------------------------
// Writing

export type TensorCollection = ReadonlyMap<string, HostTensor> | Readonly<Record<string, HostTensor>>;

interface Layout {
  header: Uint8Array;
  /** tensors in data order */
  order: { name: string; bytes: Uint8Array }[];
  total: number;
}

function layout(target: string, tensors: TensorCollection, metadata: Readonly<Record<string, string>> | undefined): Layout {
  const list: [string, HostTensor][] = tensors instanceof Map ? [...tensors] : Object.entries(tensors as Record<string, HostTensor>);
  const seen = new Set<string>();
  for (const [name, t] of list) {
    if (name === "__metadata__") throw new WeightFileError(target, "a tensor may not be called __metadata__");
    if (seen.has(name)) throw new WeightFileError(target, "duplicate tensor name", name);
    seen.add(name);
    const problem = hostTensorProblem(t);
    if (problem !== null) throw new WeightFileError(target, problem, name);
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new WeightFileError(target, `metadata[${JSON.stringify(k)}] is not a string`);
    }
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const dataOrder = [...list].sort(([an, at], [bn, bt]) => ITEMSIZE[bt.dtype] - ITEMSIZE[at.dtype] || cmp(an, bn));
  const offsets = new Map<string, [number, number]>();
  const order: Layout["order"] = [];
  let pos = 0;
  for (const [name, t] of dataOrder) {
    const bytes = bytesOf(t.data);
    offsets.set(name, [pos, pos + bytes.byteLength]);
    order.push({ name, bytes });
    pos += bytes.byteLength;
  }
  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    const sortedMeta = Object.keys(metadata).sort(cmp);
    parts.push(`"__metadata__":{${sortedMeta.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(",")}}`);
  }
  for (const [name, t] of [...list].sort(([a], [b]) => cmp(a, b))) {
    const info = { dtype: TO_CODE[t.dtype], shape: t.shape, data_offsets: offsets.get(name) };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, order, total: header.byteLength + pos };
}

/** The bytes of a safetensors file holding `tensors` (see the file comment for the layout). */
export function serializeSafetensors(tensors: TensorCollection, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const l = layout("<serialize>", tensors, metadata);
  const out = new Uint8Array(l.total);
  out.set(l.header, 0);
  let pos = l.header.byteLength;
  for (const { bytes } of l.order) {
    out.set(bytes, pos);
    pos += bytes.byteLength;
  }
  return out;
}

/**
 * Write `tensors` (and string `metadata`) to `path` as safetensors, atomically: everything is
 * validated first, then written to a temporary file next to `path`, fsync'd and renamed over it.
 * On any failure the temporary file is removed and `path` is left as it was.
 */
export function writeSafetensors(path: string, tensors: TensorCollection, metadata?: Readonly<Record<string, string>>): void {
  const l = layout(path, tensors, metadata);
  atomicWrite(path, [l.header, ...l.order.map((o) => o.bytes)]);
}

/** Write `chunks` to `path` through a same-directory temporary file and a rename (Node only). */
export function atomicWrite(path: string, chunks: readonly Uint8Array[]): void {
  try {
    platform.atomicWrite(path, chunks);
  } catch (e) {
    throw new WeightFileError(path, `write failed: ${(e as Error).message}`);
  }
}
