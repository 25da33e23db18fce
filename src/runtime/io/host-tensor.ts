/**
 * @file Host tensors: what the weight-file readers (safetensors, PyTorch `.pth`) hand back, a
 * dense row-major buffer of one of the dtypes those formats use, plus the conversions the rest
 * of wgtensor needs (`toFloat32`, `toInt32`, `toNumberArray`).
 *
 * Storage per dtype: float16 and bfloat16 keep their raw 16-bit patterns in a Uint16Array (use
 * `toFloat32` to decode), int64 is a BigInt64Array, bool is a Uint8Array of 0/1. Buffers are
 * always host (little-endian on every platform Node runs on) order.
 */

import { sizeOf } from "../../dsl/host/view.js";

export interface HostDataMap {
  float32: Float32Array;
  float64: Float64Array;
  /** raw IEEE binary16 bit patterns */
  float16: Uint16Array;
  /** raw bfloat16 bit patterns (the high half of a float32) */
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  /** one byte per element, 0 or 1 */
  bool: Uint8Array;
}

export type HostDType = keyof HostDataMap;
export type HostData = HostDataMap[HostDType];

/** A dense row-major tensor in host memory; a union discriminated by `dtype`. */
export type HostTensor<D extends HostDType = HostDType> = {
  [K in D]: { dtype: K; shape: number[]; data: HostDataMap[K] };
}[D];

export const HOST_DTYPES: readonly HostDType[] = [
  "float32",
  "float64",
  "float16",
  "bfloat16",
  "int64",
  "int32",
  "int16",
  "int8",
  "uint8",
  "bool",
];

export const ITEMSIZE: Readonly<Record<HostDType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const CONSTRUCTORS = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

export function isHostDType(x: unknown): x is HostDType {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(ITEMSIZE, x);
}

export function isHostTensor(x: unknown): x is HostTensor {
  if (typeof x !== "object" || x === null) return false;
  const t = x as { dtype?: unknown; shape?: unknown; data?: unknown };
  return isHostDType(t.dtype) && Array.isArray(t.shape) && t.data instanceof CONSTRUCTORS[t.dtype];
}

/** Checks that `data` is the typed array `dtype` uses and holds product(shape) elements; returns a reason or null. */
export function hostTensorProblem(t: { dtype: unknown; shape: unknown; data: unknown }): string | null {
  if (!isHostDType(t.dtype)) return `unknown dtype ${JSON.stringify(t.dtype)}`;
  if (!Array.isArray(t.shape)) return "shape is not an array";
  for (const d of t.shape as unknown[]) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) return `shape ${JSON.stringify(t.shape)} has a dimension that is not a non-negative integer`;
  }
  const n = sizeOf(t.shape as number[]);
  if (!Number.isSafeInteger(n)) return `shape ${JSON.stringify(t.shape)} has too many elements`;
  const ctor = CONSTRUCTORS[t.dtype];
  if (!(t.data instanceof ctor)) return `dtype ${t.dtype} needs a ${ctor.name}, got ${describeData(t.data)}`;
  if ((t.data as HostData).length !== n) return `shape ${JSON.stringify(t.shape)} needs ${n} elements, data has ${(t.data as HostData).length}`;
  return null;
}

function describeData(d: unknown): string {
  if (d === null || d === undefined) return String(d);
  if (typeof d === "object") return (d as object).constructor?.name ?? "object";
  return typeof d;
}

/** Make a typed array of `dtype` viewing `bytes` (which must be exclusively owned, byteOffset aligned). */
export function typedArrayOver<D extends HostDType>(dtype: D, bytes: Uint8Array): HostDataMap[D] {
  assertLittleEndianHost();
  const size = ITEMSIZE[dtype];
  if (bytes.byteLength % size !== 0) throw new Error(`internal: ${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  let b = bytes;
  if (b.byteOffset % size !== 0) b = b.slice();
  const ctor = CONSTRUCTORS[dtype] as unknown as new (buf: ArrayBufferLike, off: number, len: number) => HostDataMap[D];
  return new ctor(b.buffer, b.byteOffset, b.byteLength / size);
}

/** Allocate a zeroed typed array of `dtype`. */
export function allocHostData<D extends HostDType>(dtype: D, length: number): HostDataMap[D] {
  const ctor = CONSTRUCTORS[dtype] as unknown as new (len: number) => HostDataMap[D];
  return new ctor(length);
}

/** The bytes of a tensor's data (a view, no copy). */
export function bytesOf(data: HostData): Uint8Array {
  assertLittleEndianHost();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

let littleEndian: boolean | undefined;
function assertLittleEndianHost(): void {
  littleEndian ??= new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!littleEndian) throw new Error("wgtensor weight I/O needs a little-endian host");
}

// ---------------------------------------------------------------------------------------------
// Conversions

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** Decode one IEEE binary16 bit pattern. */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Decode one bfloat16 bit pattern (exact: bf16 is the top half of a float32). */
export function bfloat16BitsToNumber(b: number): number {
  u32Scratch[0] = (b & 0xffff) << 16;
  return f32Scratch[0]!;
}

/**
 * The tensor's values as float32. A float32 tensor's own buffer is returned (no copy); every other
 * dtype is converted into a fresh array (float16 / bfloat16 decoded, integers and bools as values;
 * int64 beyond 2^53 rounds like any float conversion).
 */
export function toFloat32(t: HostTensor): Float32Array {
  switch (t.dtype) {
    case "float32":
      return t.data;
    case "float16": {
      const out = new Float32Array(t.data.length);
      for (let i = 0; i < out.length; i++) out[i] = float16BitsToNumber(t.data[i]!);
      return out;
    }
    case "bfloat16": {
      const bits = new Uint32Array(t.data.length);
      for (let i = 0; i < bits.length; i++) bits[i] = t.data[i]! << 16;
      return new Float32Array(bits.buffer);
    }
    case "int64": {
      const out = new Float32Array(t.data.length);
      for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]!);
      return out;
    }
    default:
      return Float32Array.from(t.data as ArrayLike<number>);
  }
}

/**
 * The tensor's values as int32, for integer and bool tensors. An int32 tensor's own buffer is
 * returned; int64 values outside [-2^31, 2^31) throw (naming `what` and the element). Float
 * tensors throw: converting them is a decision for the caller.
 */
export function toInt32(t: HostTensor, what = "tensor"): Int32Array {
  switch (t.dtype) {
    case "int32":
      return t.data;
    case "int64": {
      const out = new Int32Array(t.data.length);
      for (let i = 0; i < out.length; i++) {
        const v = t.data[i]!;
        if (v < -2147483648n || v > 2147483647n) {
          throw new RangeError(`toInt32: ${what} element ${i} (${v}) does not fit in int32`);
        }
        out[i] = Number(v);
      }
      return out;
    }
    case "int16":
    case "int8":
    case "uint8":
    case "bool":
      return Int32Array.from(t.data);
    default:
      throw new TypeError(`toInt32: ${what} has dtype ${t.dtype}; only integer and bool tensors convert to int32`);
  }
}

/**
 * The tensor's values as a plain number array (float16 / bfloat16 decoded, bools as 0/1). int64
 * values that are not exactly representable (beyond ±(2^53 - 1)) throw.
 */
export function toNumberArray(t: HostTensor, what = "tensor"): number[] {
  switch (t.dtype) {
    case "int64": {
      const out = new Array<number>(t.data.length);
      for (let i = 0; i < out.length; i++) {
        const v = t.data[i]!;
        const n = Number(v);
        if (!Number.isSafeInteger(n) || BigInt(n) !== v) {
          throw new RangeError(`toNumberArray: ${what} element ${i} (${v}) is not exactly representable as a number`);
        }
        out[i] = n;
      }
      return out;
    }
    case "float16":
    case "bfloat16":
      return Array.from(toFloat32(t));
    default:
      return Array.from(t.data as ArrayLike<number>);
  }
}
