/**
 * @file PyTorch checkpoints (`torch.save`, torch >= 1.6 zip format) read without executing
 * anything: the zip holds `<archive>/data.pkl` (the pickled object), `<archive>/data/<key>` (one
 * raw little-endian storage per key), `<archive>/version` and, from torch 2.1, `<archive>/byteorder`.
 *
 * The pickle runs on the restricted VM in pickle.ts with this allow-list of GLOBALs:
 * `collections OrderedDict`, `torch._utils _rebuild_tensor_v2`, `torch._utils _rebuild_parameter`
 * (and `_rebuild_parameter_with_state`), and the typed storage classes `torch FloatStorage` ...
 * `torch BoolStorage`, which only ever appear inside persistent ids. Everything else (`os system`,
 * `builtins eval`, model classes, numpy scalars, ...) is rejected naming the global and the file.
 *
 * A persistent id `('storage', <StorageClass>, key, location, numel)` names the zip entry
 * `<archive>/data/<key>`; `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
 * hooks[, metadata])` becomes a contiguous HostTensor copied out of it honouring the offset and
 * strides. The device `location` ("cpu", "cuda:0") is ignored.
 */
import { sizeOf } from "../../dsl/host/view.js";
import { allocHostData, isHostTensor, ITEMSIZE, typedArrayOver, type HostDType, type HostTensor } from "./host-tensor.js";
import { PyDict, typeName, unpickle, type PyCallable, type PyKey, type PyOpaque, type PyValue, type UnpickleStats } from "./pickle.js";
import { memorySource, WeightFileError, withFile, type ByteSource } from "./source.js";
import { ZipReader } from "./zip.js";

/** A reference to one storage record of the archive (what a persistent id resolves to). */
export interface TorchStorage extends PyOpaque {
  readonly type: "torch.storage";
  readonly dtype: HostDType;
  readonly key: string;
  readonly location: string;
  readonly numel: number;
  /** the zip entry holding its bytes */
  readonly entry: string;
}

export interface PthOptions {
  /** check every zip entry's CRC-32 (default true) */
  verifyCrc?: boolean;
  /** filled with the opcodes and GLOBALs the pickle used */
  stats?: UnpickleStats;
}

/** What a checkpoint holds besides its object. */
export interface PthArchive {
  object: PyValue;
  /** the archive's top directory, e.g. "weights" or "archive" */
  prefix: string;
  /** the `version` record (serialization format), e.g. "3" */
  version: string | undefined;
  byteorder: "little" | "big";
}

const STORAGE_DTYPES: Readonly<Record<string, HostDType>> = {
  FloatStorage: "float32",
  DoubleStorage: "float64",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
};

const ALLOWED_GLOBALS: readonly string[] = [
  "collections OrderedDict",
  "torch._utils _rebuild_tensor_v2",
  "torch._utils _rebuild_parameter",
  "torch._utils _rebuild_parameter_with_state",
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch ${s}`),
];

/** Parse a checkpoint already in memory; `source` names it in errors. Returns the unpickled object. */
export function readPth(bytes: Uint8Array, source = "<bytes>", options: PthOptions = {}): PyValue {
  return readPthArchive(memorySource(bytes, source), options).object;
}

/** Load the checkpoint at `path` (read by position: only the records it needs). Returns the unpickled object. */
export function loadPth(path: string, options: PthOptions = {}): PyValue {
  return withFile(path, (src) => readPthArchive(src, options).object);
}

/** Load a checkpoint with its archive facts (prefix, version, byte order). */
export function loadPthArchive(path: string, options: PthOptions = {}): PthArchive {
  return withFile(path, (src) => readPthArchive(src, options));
}

export function readPthArchive(src: ByteSource, options: PthOptions = {}): PthArchive {
  const file = src.name;
  const zip = new ZipReader(src, { verifyCrc: options.verifyCrc ?? true });
  const pkls = [...zip.entries.keys()].filter((n) => /^[^/]*\/data\.pkl$/.test(n) || n === "data.pkl");
  if (pkls.length === 0) {
    const names = [...zip.entries.keys()];
    const hint = names.some((n) => n.endsWith("constants.pkl") || n.includes("/code/")) ? " (this looks like a TorchScript archive, which is not supported)" : "";
    throw new WeightFileError(file, `not a torch.save checkpoint: the zip has no data.pkl entry${hint} (entries: ${names.slice(0, 5).join(", ")}${names.length > 5 ? ", ..." : ""})`);
  }
  if (pkls.length > 1) throw new WeightFileError(file, `ambiguous checkpoint: several data.pkl entries (${pkls.join(", ")})`);
  const pklName = pkls[0]!;
  const prefix = pklName === "data.pkl" ? "" : pklName.slice(0, -"/data.pkl".length);
  const at = (name: string) => (prefix === "" ? name : `${prefix}/${name}`);
  const text = (name: string) => (zip.has(at(name)) ? new TextDecoder().decode(zip.read(at(name))).trim() : undefined);

  const version = text("version") ?? text(".data/version");
  const bo = text("byteorder") ?? "little";
  if (bo !== "little" && bo !== "big") throw new WeightFileError(file, `unknown byteorder record ${JSON.stringify(bo)}`);
  const byteorder: "little" | "big" = bo;

  const storages = new Map<string, TorchStorage>();
  const callables = new Map<string, PyCallable>();
  const define = (module: string, name: string, call?: (args: readonly PyValue[]) => PyValue) =>
    callables.set(`${module} ${name}`, call ? { kind: "callable", module, name, call } : { kind: "callable", module, name });

  define("collections", "OrderedDict", (args) => {
    const d = new PyDict("collections.OrderedDict");
    if (args.length === 0) return d;
    const items = args[0];
    if (args.length !== 1 || !Array.isArray(items)) throw new Error(`expected () or (items,), got ${args.length} arguments`);
    for (const kv of items) {
      if (!Array.isArray(kv) || kv.length !== 2) throw new Error("OrderedDict items must be (key, value) pairs");
      const k = kv[0]!;
      if (typeof k === "object" && k !== null && !(Array.isArray(k) && Object.isFrozen(k))) throw new Error(`unhashable key of type ${typeName(k)}`);
      d.set(k as PyKey, kv[1]!);
    }
    return d;
  });
  const storageBytes = storageReader(zip, byteorder);
  define("torch._utils", "_rebuild_tensor_v2", (args) => rebuildTensor(args, storageBytes));
  const rebuildParameter = (args: readonly PyValue[]) => {
    if (args.length < 3) throw new Error(`expected (data, requires_grad, backward_hooks[, state]), got ${args.length} arguments`);
    const data = args[0];
    if (typeof data !== "object" || data === null || !("dtype" in data)) throw new Error(`data is a ${typeName(data)}, not a tensor`);
    checkHooks(args[2]!);
    return data;
  };
  define("torch._utils", "_rebuild_parameter", rebuildParameter);
  define("torch._utils", "_rebuild_parameter_with_state", rebuildParameter);
  for (const s of Object.keys(STORAGE_DTYPES)) define("torch", s);

  const persistentLoad = (pid: PyValue): PyValue => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== "storage") {
      throw new Error(`unsupported persistent id ${describe(pid)}; expected ('storage', StorageClass, key, location, numel)`);
    }
    const [, cls, key, location, numel] = pid;
    const clsName = typeof cls === "object" && cls !== null && "kind" in cls && cls.kind === "callable" && cls.module === "torch" ? cls.name : undefined;
    const dtype = clsName !== undefined ? STORAGE_DTYPES[clsName] : undefined;
    if (dtype === undefined) throw new Error(`persistent id storage type is ${typeName(cls)}, not a torch typed storage class`);
    if (typeof key !== "string") throw new Error(`storage key is a ${typeName(key)}, not a string`);
    if (typeof location !== "string") throw new Error(`storage location is a ${typeName(location)}, not a string`);
    if (typeof numel !== "number" || !Number.isSafeInteger(numel) || numel < 0) throw new Error(`storage ${key}: numel ${String(numel)} is not a non-negative integer`);
    const known = storages.get(key);
    if (known !== undefined) {
      if (known.dtype !== dtype || known.numel !== numel) {
        throw new Error(`storage ${key} is referenced as ${known.numel} × ${known.dtype} and as ${numel} × ${dtype}`);
      }
      return known;
    }
    const entry = at(`data/${key}`);
    const info = zip.entries.get(entry);
    if (info === undefined) throw new Error(`storage key ${JSON.stringify(key)} is missing: the zip has no entry ${JSON.stringify(entry)}`);
    const need = numel * ITEMSIZE[dtype];
    if (info.uncompressedSize < need) {
      throw new Error(`storage ${JSON.stringify(key)} (${entry}) holds ${info.uncompressedSize} bytes but ${numel} × ${dtype} needs ${need}`);
    }
    const storage: TorchStorage = { kind: "opaque", type: "torch.storage", dtype, key, location, numel, entry };
    storages.set(key, storage);
    return storage;
  };

  const object = unpickle(
    zip.read(pklName),
    {
      source: `${file} (${pklName})`,
      allowedGlobals: ALLOWED_GLOBALS,
      resolveGlobal: (module, name) => callables.get(`${module} ${name}`),
      persistentLoad,
    },
    options.stats,
  );
  return { object, prefix, version, byteorder };
}

function describe(v: PyValue): string {
  if (Array.isArray(v)) return `(${v.map((x) => (typeof x === "string" ? JSON.stringify(x) : typeName(x))).join(", ")})`;
  return typeName(v);
}

function checkHooks(hooks: PyValue): void {
  if (hooks === null) return;
  if (!(hooks instanceof PyDict)) throw new Error(`backward_hooks is a ${typeName(hooks)}, not an OrderedDict`);
  if (hooks.size > 0) throw new Error("tensors with backward hooks are not supported");
}

function intTuple(v: PyValue, what: string): number[] {
  if (!Array.isArray(v)) throw new Error(`${what} is a ${typeName(v)}, not a tuple`);
  return v.map((x, i) => {
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) throw new Error(`${what}[${i}] = ${String(x)} is not a non-negative integer`);
    return x;
  });
}

/** Bytes that views may copy beyond the storages' own size (a view that repeats elements through stride 0, a transposed copy). */
const MAX_EXTRA_COPY_BYTES = 256 * 2 ** 20;

interface StorageReader {
  /** The storage's bytes in host order, read (and inflated, and byte-swapped) once however many tensors view it. */
  bytes(s: TorchStorage): Uint8Array;
  /** Account for `n` bytes copied out of storages; throws past the budget. */
  copy(n: number, what: string): void;
}

function storageReader(zip: ZipReader, byteorder: "little" | "big"): StorageReader {
  const read = new Map<string, Uint8Array>();
  let storageBytes = 0;
  let copied = 0;
  return {
    bytes(s) {
      let raw = read.get(s.key);
      if (raw === undefined) {
        raw = zip.read(s.entry);
        if (byteorder === "big" && ITEMSIZE[s.dtype] > 1) swapBytes(raw, ITEMSIZE[s.dtype]);
        read.set(s.key, raw);
        storageBytes += raw.byteLength;
      }
      return raw;
    },
    copy(n, what) {
      copied += n;
      if (copied > storageBytes + MAX_EXTRA_COPY_BYTES) {
        throw new Error(`${what}: the tensors' views would copy ${copied} bytes out of ${storageBytes} bytes of storage (views that repeat elements through stride 0, or many views of one storage); refusing more than ${MAX_EXTRA_COPY_BYTES} bytes beyond the storages`);
      }
    },
  };
}

/**
 * `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
 * A contiguous view shares the storage's bytes (many views of one storage cost nothing); any
 * other view is copied, within the reader's copy budget.
 */
function rebuildTensor(args: readonly PyValue[], storages: StorageReader): HostTensor {
  if (args.length !== 6 && args.length !== 7) throw new Error(`expected 6 or 7 arguments, got ${args.length}`);
  const storage = args[0];
  if (typeof storage !== "object" || storage === null || !("kind" in storage) || storage.kind !== "opaque" || storage.type !== "torch.storage") {
    throw new Error(`storage argument is a ${typeName(storage)}, not a storage`);
  }
  const s = storage as TorchStorage;
  const offset = args[1];
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) throw new Error(`storage_offset ${String(offset)} is not a non-negative integer`);
  const size = intTuple(args[2]!, "size");
  const stride = intTuple(args[3]!, "stride");
  if (stride.length !== size.length) throw new Error(`size ${JSON.stringify(size)} and stride ${JSON.stringify(stride)} differ in rank`);
  if (typeof args[4] !== "boolean") throw new Error(`requires_grad is a ${typeName(args[4]!)}, not a bool`);
  checkHooks(args[5]!);
  const meta = args[6];
  if (meta !== undefined && meta !== null && !(meta instanceof PyDict)) throw new Error(`metadata is a ${typeName(meta)}, not a dict`);

  const n = sizeOf(size);
  if (!Number.isSafeInteger(n)) throw new Error(`size ${JSON.stringify(size)} is too large`);
  const is = ITEMSIZE[s.dtype];
  if (n === 0) return { dtype: s.dtype, shape: size, data: allocHostData(s.dtype, 0) } as HostTensor;
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d]! - 1) * stride[d]!;
  if (last >= s.numel) {
    throw new Error(
      `size ${JSON.stringify(size)}, stride ${JSON.stringify(stride)}, offset ${offset} reach element ${last} of storage ${JSON.stringify(s.key)}, which has ${s.numel}`,
    );
  }

  const raw = storages.bytes(s);
  let contiguous = true;
  for (let d = size.length - 1, expect = 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expect) contiguous = false;
    expect *= size[d]!;
  }
  let out: Uint8Array;
  if (contiguous) {
    out = raw.subarray(offset * is, (offset + n) * is);
  } else {
    storages.copy(n * is, `tensor of size ${JSON.stringify(size)}, stride ${JSON.stringify(stride)} over storage ${JSON.stringify(s.key)}`);
    out = new Uint8Array(n * is);
    const nd = size.length;
    const rowLen = size[nd - 1]!;
    const rowStride = stride[nd - 1]!;
    const idx = new Array<number>(nd).fill(0);
    let base = offset;
    for (let o = 0; o < n; o += rowLen) {
      if (rowStride === 1) {
        out.set(raw.subarray(base * is, (base + rowLen) * is), o * is);
      } else {
        for (let j = 0; j < rowLen; j++) {
          const from = (base + j * rowStride) * is;
          out.set(raw.subarray(from, from + is), (o + j) * is);
        }
      }
      for (let d = nd - 2; d >= 0; d--) {
        idx[d]!++;
        base += stride[d]!;
        if (idx[d]! < size[d]!) break;
        base -= stride[d]! * size[d]!;
        idx[d] = 0;
      }
    }
  }
  if (s.dtype === "bool") {
    const bad = out.findIndex((b) => b > 1);
    if (bad >= 0) throw new Error(`bool storage ${JSON.stringify(s.key)} holds byte value ${out[bad]}`);
  }
  return { dtype: s.dtype, shape: size, data: typedArrayOver(s.dtype, out) } as HostTensor;
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i + size <= b.byteLength; i += size) {
    for (let a = i, z = i + size - 1; a < z; a++, z--) {
      const t = b[a]!;
      b[a] = b[z]!;
      b[z] = t;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// State dicts
//
/*
 * From a loaded checkpoint to a flat `name → tensor` state dict: unwrap the containers training
 * code saves (`{'model_state': ...}` as SlowFast / UniFormerV2 do, `{'state_dict': ...}`,
 * `{'model': ...}`, `{'module': ...}`), flatten nested dicts and lists with dotted keys, and
 * strip prefixes such as `module.` (DataParallel) or `backbone.` (a wrapper module).
 */
export interface FlattenOptions {
  /**
   * Container keys to descend into, tried in order, while the object is a dict holding one of
   * them whose value is a dict (default: model_state, state_dict, model, module). `false`: none.
   */
  unwrap?: readonly string[] | false;
  /**
   * Prefixes removed from the keys, applied in order to each key that starts with them (e.g.
   * `["module.", "backbone."]`); keys without them are kept as they are.
   */
  stripPrefix?: string | readonly string[];
  /** prepended to every key (after stripping) */
  prefix?: string;
}

export const DEFAULT_UNWRAP: readonly string[] = ["model_state", "state_dict", "model", "module"];

/**
 * Flatten a checkpoint (what loadPth returns, or a `Map` of tensors) into `name → tensor`, in
 * order. Nested dicts and lists give dotted names; non-tensor leaves (ints, strings, None) and
 * references back to an enclosing container are skipped. Two entries that end up with the same name throw. A string second argument is
 * shorthand for `{ prefix }`.
 */
export function flattenStateDict(
  obj: PyValue | ReadonlyMap<string, HostTensor>,
  options: FlattenOptions | string = {},
): Map<string, HostTensor> {
  const opts: FlattenOptions = typeof options === "string" ? { prefix: options } : options;
  const unwrap = opts.unwrap === false ? [] : (opts.unwrap ?? DEFAULT_UNWRAP);
  let root: unknown = obj;
  const unwrapped = new Set<unknown>();
  for (;;) {
    if (!(root instanceof Map)) break;
    // a dict that contains itself under "model" (a hostile file) would unwrap forever
    if (unwrapped.has(root)) throw new Error("flattenStateDict: the checkpoint's containers refer back to themselves while unwrapping");
    unwrapped.add(root);
    const m: Map<unknown, unknown> = root;
    const k = unwrap.find((w) => m.get(w) instanceof Map);
    if (k === undefined) break;
    root = m.get(k);
  }

  if (isHostTensor(root)) throw new Error("flattenStateDict: the checkpoint is a single tensor, not a state dict");
  if (!(root instanceof Map) && !Array.isArray(root)) {
    throw new Error(`flattenStateDict: the checkpoint is a ${root === null ? "None" : typeof root}, not a dict`);
  }
  // Depth-first in key order, without recursion (a file decides how deep it nests). Each
  // container is walked once: a pickle can share one list many times (memo references), and
  // [x, x] nested 40 deep would otherwise be 2^40 paths; a reference back to a container already
  // walked (a cycle) is skipped the same way.
  const flat: [string, HostTensor][] = [];
  const walked = new Set<unknown>();
  const stack: [unknown, string][] = [[root, ""]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (isHostTensor(v)) {
      flat.push([path, v]);
      continue;
    }
    if (!(v instanceof Map) && !Array.isArray(v)) continue;
    if (walked.has(v)) continue;
    walked.add(v);
    const children: [unknown, string][] = [];
    if (v instanceof Map) for (const [k, x] of v) children.push([x, path === "" ? keyName(k) : `${path}.${keyName(k)}`]);
    else v.forEach((x, i) => children.push([x, path === "" ? String(i) : `${path}.${i}`]));
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }

  const strips = opts.stripPrefix === undefined ? [] : typeof opts.stripPrefix === "string" ? [opts.stripPrefix] : opts.stripPrefix;
  const out = new Map<string, HostTensor>();
  const origin = new Map<string, string>();
  for (const [name, t] of flat) {
    let key = name;
    for (const p of strips) if (p !== "" && key.startsWith(p)) key = key.slice(p.length);
    key = (opts.prefix ?? "") + key;
    const before = origin.get(key);
    if (before !== undefined) {
      throw new Error(`flattenStateDict: ${JSON.stringify(before)} and ${JSON.stringify(name)} both become ${JSON.stringify(key)}`);
    }
    origin.set(key, name);
    out.set(key, t);
  }
  return out;
}

/** A dict key as a name part: state dicts use strings; a tuple key (which a file may nest deeply) is not spelled out. */
function keyName(k: unknown): string {
  if (typeof k === "string" || typeof k === "number" || typeof k === "bigint" || typeof k === "boolean") return String(k);
  return k === null ? "None" : "<tuple>";
}

/** The attributes BUILD set on a loaded OrderedDict (e.g. a state_dict's `_metadata`), if any. */
export function pyAttributes(obj: PyValue): ReadonlyMap<string, PyValue> {
  return obj instanceof PyDict ? obj.attributes : new Map();
}

