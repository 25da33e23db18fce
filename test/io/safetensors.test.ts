/**
 * safetensors: the golden UniFormerV2 fixtures parse with the shapes their config.json lists;
 * write → read round trips for every dtype, empty and scalar tensors and metadata; the writer's
 * layout (sorted keys, space-padded 8-byte-aligned header, aligned data); every validation error
 * names the file and the tensor; a failed write leaves nothing behind.
 */
import fc from "fast-check";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  bfloat16BitsToNumber,
  float16BitsToNumber,
  toFloat32,
  toInt32,
  toNumberArray,
  type HostTensor,
} from "../../src/runtime/io/host-tensor.js";
import {
  loadSafetensors,
  loadSafetensorsHeader,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from "../../src/runtime/io/safetensors.js";
import { WeightFileError } from "../../src/runtime/io/source.js";
import { fixture, sameTensor, tempDir } from "./helpers.js";

interface FixtureConfig {
  input: { name: string; shape: number[]; dtype: string };
  outputs: { tensors: { name: string; shape: number[]; dtype: string }[] };
  derived: { num_state_dict_entries: number; num_parameters: number };
}
const config = (set: "A" | "C"): FixtureConfig => JSON.parse(readFileSync(fixture(set, "config.json"), "utf8")) as FixtureConfig;

describe("golden fixtures", () => {
  for (const set of ["A", "C"] as const) {
    it(`${set}: input and output tensors have the config's names, shapes and dtypes`, () => {
      const cfg = config(set);
      const input = loadSafetensors(fixture(set, "input.safetensors"));
      expect([...input.tensors.keys()]).toEqual([cfg.input.name]);
      const video = input.tensors.get("video")!;
      expect(video.dtype).toBe("float32");
      expect(video.shape).toEqual(cfg.input.shape);
      expect(toFloat32(video).every(Number.isFinite)).toBe(true);

      const output = loadSafetensors(fixture(set, "output.safetensors"));
      expect(new Set(output.tensors.keys())).toEqual(new Set(cfg.outputs.tensors.map((t) => t.name)));
      for (const spec of cfg.outputs.tensors) {
        const t = output.tensors.get(spec.name)!;
        expect(spec.dtype).toBe("F32");
        expect(t.dtype, spec.name).toBe("float32");
        expect(t.shape, spec.name).toEqual(spec.shape);
      }
    });

    it(`${set}: weights hold the config's number of entries and parameters (plus BatchNorm buffers)`, () => {
      const cfg = config(set);
      const { tensors, metadata } = loadSafetensors(fixture(set, "weights.safetensors"));
      expect(metadata).toEqual({ format: "pt" });
      expect(tensors.size).toBe(cfg.derived.num_state_dict_entries);
      let params = 0;
      for (const [name, t] of tensors) {
        if (name.endsWith("num_batches_tracked")) {
          expect(t.dtype).toBe("int64");
          expect(t.shape).toEqual([]);
          expect(toNumberArray(t)[0]).toBeGreaterThanOrEqual(0);
        } else {
          expect(t.dtype, name).toBe("float32");
          // BatchNorm running statistics are buffers, not parameters
          if (!/running_(mean|var)$/.test(name)) params += t.data.length;
        }
      }
      expect(params).toBe(cfg.derived.num_parameters);
      expect(tensors.get("conv1.weight")!.shape).toEqual(set === "A" ? [64, 3, 3, 16, 16] : [64, 3, 1, 16, 16]);
    });
  }

  it("readSafetensors on the bytes equals loadSafetensors on the file; the header loads alone", () => {
    const path = fixture("C", "weights.safetensors");
    const a = loadSafetensors(path);
    const b = readSafetensors(readFileSync(path), "C weights");
    expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
    for (const [k, t] of a.tensors) expect(sameTensor(t, b.tensors.get(k))).toBe(true);
    const header = loadSafetensorsHeader(path);
    expect(header.entries.map((e) => e.name)).toEqual([...a.tensors.keys()]);
    expect(header.dataStart % 8).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

const sample = (): Map<string, HostTensor> =>
  new Map<string, HostTensor>([
    ["w", { dtype: "float32", shape: [2, 3], data: new Float32Array([1, -2.5, 3e-8, Infinity, -0, NaN]) }],
    ["d", { dtype: "float64", shape: [2], data: new Float64Array([Math.PI, -1e300]) }],
    ["h", { dtype: "float16", shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7bff]) }],
    ["bf", { dtype: "bfloat16", shape: [2], data: new Uint16Array([0x3f80, 0xc049]) }],
    ["count", { dtype: "int64", shape: [], data: new BigInt64Array([9007199254740993n]) }],
    ["big", { dtype: "int64", shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n]) }],
    ["i32", { dtype: "int32", shape: [2], data: new Int32Array([-2147483648, 2147483647]) }],
    ["i16", { dtype: "int16", shape: [1], data: new Int16Array([-300]) }],
    ["i8", { dtype: "int8", shape: [2], data: new Int8Array([-128, 127]) }],
    ["u8", { dtype: "uint8", shape: [1, 1, 3], data: new Uint8Array([0, 128, 255]) }],
    ["mask", { dtype: "bool", shape: [5], data: new Uint8Array([1, 0, 1, 1, 0]) }],
    ["empty", { dtype: "float32", shape: [0, 3], data: new Float32Array(0) }],
    ["empty_i64", { dtype: "int64", shape: [4, 0], data: new BigInt64Array(0) }],
  ]);

describe("write → read round trip", () => {
  it("keeps every dtype, shape, bit pattern and the metadata", () => {
    const dir = tempDir();
    const path = join(dir, "t.safetensors");
    const tensors = sample();
    writeSafetensors(path, tensors, { format: "pt", note: "ünïcødé ✓", empty: "" });
    const back = loadSafetensors(path);
    expect(back.metadata).toEqual({ format: "pt", note: "ünïcødé ✓", empty: "" });
    expect(new Set(back.tensors.keys())).toEqual(new Set(tensors.keys()));
    for (const [k, t] of tensors) expect(sameTensor(t, back.tensors.get(k)), k).toBe(true);
    expect(back.tensors.get("big")!.data).toEqual(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n]));
    expect(readdirSync(dir)).toEqual(["t.safetensors"]);
  });

  it("lays the file out as the format allows: sorted keys, space padding, aligned data", () => {
    const bytes = serializeSafetensors(sample(), { b: "2", a: "1" });
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const text = Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8");
    expect(text.trimEnd().endsWith("}")).toBe(true);
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    const keys = Object.keys(header);
    expect(keys[0]).toBe("__metadata__");
    expect(keys.slice(1)).toEqual([...keys.slice(1)].sort());
    expect(Object.keys(header.__metadata__!)).toEqual(["a", "b"]);
    const itemsize: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2, I8: 1, U8: 1, BOOL: 1 };
    for (const [k, v] of Object.entries(header)) {
      if (k === "__metadata__") continue;
      expect(v.data_offsets[0] % itemsize[v.dtype]!, k).toBe(0);
    }
    // the last tensor ends exactly at the end of the file
    const end = Math.max(...Object.entries(header).filter(([k]) => k !== "__metadata__").map(([, v]) => v.data_offsets[1]));
    expect(8 + n + end).toBe(bytes.byteLength);
    expect(readSafetensors(bytes).metadata).toEqual({ a: "1", b: "2" });
  });

  it("writes the same bytes as serializeSafetensors, with or without metadata, from a Map or a record", () => {
    const dir = tempDir();
    const tensors = sample();
    writeSafetensors(join(dir, "a.safetensors"), tensors);
    writeSafetensors(join(dir, "b.safetensors"), Object.fromEntries(tensors));
    expect(readFileSync(join(dir, "a.safetensors")).equals(Buffer.from(serializeSafetensors(tensors)))).toBe(true);
    expect(readFileSync(join(dir, "b.safetensors")).equals(readFileSync(join(dir, "a.safetensors")))).toBe(true);
    expect(loadSafetensors(join(dir, "a.safetensors")).metadata).toEqual({});
  });

  it("round-trips the fixture weights bit for bit (and overwrites an existing file)", () => {
    const dir = tempDir();
    const path = join(dir, "w.safetensors");
    writeFileSync(path, "old contents");
    const src = loadSafetensors(fixture("A", "weights.safetensors"));
    writeSafetensors(path, src.tensors, src.metadata);
    const back = loadSafetensors(path);
    expect(back.metadata).toEqual(src.metadata);
    for (const [k, t] of src.tensors) expect(sameTensor(t, back.tensors.get(k)), k).toBe(true);
  });

  it("round-trips random tensors (property)", () => {
    const dtypeArb = fc.constantFrom("float32", "int64", "bool", "int32", "uint8", "float64" as const);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ minLength: 0, maxLength: 8 }), dtypeArb, fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 })), { maxLength: 6 }),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
        (specs, metadata) => {
          const tensors = new Map<string, HostTensor>();
          for (const [name, dtype, shape] of specs) {
            if (name === "__metadata__" || tensors.has(name)) continue;
            const n = shape.reduce((a, b) => a * b, 1);
            const ramp = Array.from({ length: n }, (_, i) => i * 7 - 3);
            const t: HostTensor =
              dtype === "float32" ? { dtype, shape, data: new Float32Array(ramp.map((x) => x / 3)) }
              : dtype === "float64" ? { dtype, shape, data: new Float64Array(ramp.map((x) => x / 3)) }
              : dtype === "int64" ? { dtype, shape, data: BigInt64Array.from(ramp.map((x) => BigInt(x) << 40n)) }
              : dtype === "int32" ? { dtype, shape, data: Int32Array.from(ramp) }
              : dtype === "uint8" ? { dtype, shape, data: Uint8Array.from(ramp.map((x) => x & 255)) }
              : { dtype: "bool", shape, data: Uint8Array.from(ramp.map((x) => x & 1)) };
            tensors.set(name, t);
          }
          const back = readSafetensors(serializeSafetensors(tensors, metadata));
          expect(back.tensors.size).toBe(tensors.size);
          for (const [k, t] of tensors) expect(sameTensor(t, back.tensors.get(k)), k).toBe(true);
          expect(back.metadata).toEqual(Object.keys(metadata).length ? { ...metadata } : {});
        },
      ),
      { numRuns: 60 },
    );
  });

  it("refuses tensors it cannot write, naming the file and the tensor", () => {
    const dir = tempDir();
    const path = join(dir, "bad.safetensors");
    const bad = (t: unknown, msg: RegExp, name = "x") =>
      expect(() => writeSafetensors(path, new Map([[name, t as HostTensor]]))).toThrow(msg);
    bad({ dtype: "float32", shape: [2, 2], data: new Float32Array(3) }, /bad\.safetensors: tensor "x": shape \[2,2\] needs 4 elements, data has 3/);
    bad({ dtype: "float32", shape: [2], data: new Float64Array(2) }, /tensor "x": dtype float32 needs a Float32Array, got Float64Array/);
    bad({ dtype: "complex64", shape: [1], data: new Float32Array(2) }, /tensor "x": unknown dtype "complex64"/);
    bad({ dtype: "int32", shape: [-1], data: new Int32Array(0) }, /tensor "x": shape \[-1\] has a dimension that is not a non-negative integer/);
    bad({ dtype: "float32", shape: [1], data: new Float32Array(1) }, /may not be called __metadata__/, "__metadata__");
    expect(() => writeSafetensors(path, new Map(), { a: 1 as unknown as string })).toThrow(/metadata\["a"\] is not a string/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("atomic write", () => {
  it("a write that fails at the final rename leaves no file and no temporary behind", () => {
    const dir = tempDir();
    const target = join(dir, "occupied");
    mkdirSync(target);
    writeFileSync(join(target, "keep"), "x");
    let err: unknown;
    try {
      writeSafetensors(target, sample(), { a: "b" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WeightFileError);
    expect((err as Error).message).toContain(target);
    expect((err as Error).message).toMatch(/write failed/);
    expect(readdirSync(dir)).toEqual(["occupied"]);
    expect(readdirSync(target)).toEqual(["keep"]);
  });

  it("a write into a missing directory creates nothing; a refused write leaves the old file intact", () => {
    const dir = tempDir();
    expect(() => writeSafetensors(join(dir, "no", "such", "w.safetensors"), sample())).toThrow(/w\.safetensors: write failed/);
    expect(readdirSync(dir)).toEqual([]);
    const path = join(dir, "w.safetensors");
    writeSafetensors(path, sample());
    const before = readFileSync(path);
    expect(() => writeSafetensors(path, new Map([["x", { dtype: "float32", shape: [9], data: new Float32Array(1) } as HostTensor]]))).toThrow(WeightFileError);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(["w.safetensors"]);
  });
});

// ---------------------------------------------------------------------------------------------

/** A safetensors file with this header text (padded) and `dataLen` data bytes (filled with `fill`). */
function craft(header: unknown, dataLen: number, fill = 0): Uint8Array {
  const text = Buffer.from(typeof header === "string" ? header : JSON.stringify(header), "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.byteLength));
  return new Uint8Array(Buffer.concat([len, text, Buffer.alloc(dataLen, fill)]));
}

describe("corrupt files are refused with the file and the problem named", () => {
  const SRC = "corrupt.safetensors";
  const refuse = (bytes: Uint8Array, msg: RegExp) => {
    let err: unknown;
    try {
      readSafetensors(bytes, SRC);
    } catch (e) {
      err = e;
    }
    expect(err, `expected an error matching ${msg}`).toBeInstanceOf(WeightFileError);
    expect((err as Error).message.startsWith(`${SRC}: `)).toBe(true);
    expect((err as Error).message).toMatch(msg);
  };
  const entry = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

  it("truncated files", () => {
    const good = serializeSafetensors(sample());
    refuse(new Uint8Array(0), /too short for the 8-byte header length/);
    refuse(good.subarray(0, 5), /too short/);
    refuse(good.subarray(0, 100), /header length \d+ runs past the end of the file \(100 bytes/);
    refuse(good.subarray(0, good.byteLength - 1), /run past the end of the data section/);
  });

  it("a truncated file on disk: the error names the path", () => {
    const dir = tempDir();
    const path = join(dir, "cut.safetensors");
    writeFileSync(path, readFileSync(fixture("C", "weights.safetensors")).subarray(0, 50_000));
    expect(() => loadSafetensors(path)).toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: tensor ".*": data_offsets \\[\\d+, \\d+\\] run past the end of the data section`));
  });

  it("header length past the end, and absurd header lengths", () => {
    const b = Buffer.from(craft({}, 0));
    b.writeBigUInt64LE(1000n);
    refuse(b, /header length 1000 runs past the end of the file/);
    b.writeBigUInt64LE(2n ** 64n - 1n);
    refuse(b, /header length 18446744073709551615 runs past the end/);
  });

  it("invalid JSON, non-objects, bad UTF-8, bad metadata", () => {
    refuse(craft('{"a": ', 0), /header is not valid JSON/);
    refuse(craft("[1, 2]  ", 0), /does not start with '\{'/);
    refuse(craft("null", 0), /does not start with '\{'/);
    refuse(craft('{"a": 1}', 0), /tensor "a": header entry is not an object/);
    const badUtf8 = Buffer.from(craft('{"a":1}', 0));
    badUtf8[10] = 0xff;
    refuse(badUtf8, /header is not valid UTF-8/);
    refuse(craft({ __metadata__: { a: 1 } }, 0), /__metadata__\["a"\] is 1, not a string/);
    refuse(craft({ __metadata__: [] }, 0), /__metadata__ is not an object/);
  });

  it("unknown or unsupported dtypes, bad shapes, unexpected fields", () => {
    refuse(craft({ w: entry("F33", [1], [0, 4]) }, 4), /tensor "w": unknown dtype "F33"/);
    refuse(craft({ w: entry("U16", [2], [0, 4]) }, 4), /tensor "w": dtype U16 is not supported/);
    refuse(craft({ w: { ...entry("F32", [1], [0, 4]), extra: 1 } }, 4), /tensor "w": unexpected field "extra"/);
    refuse(craft({ w: entry("F32", [-1], [0, 4]) }, 4), /tensor "w": shape \[-1\] is not a list of non-negative integers/);
    refuse(craft({ w: entry("F32", [1.5], [0, 4]) }, 4), /tensor "w": shape \[1.5\]/);
    refuse(craft({ w: entry("F32", "4", [0, 4]) }, 4), /tensor "w": shape "4"/);
    refuse(craft({ w: { dtype: "F32", data_offsets: [0, 4] } }, 4), /tensor "w": shape undefined/);
  });

  it("offsets out of range, reversed, malformed, of the wrong size, or overlapping", () => {
    refuse(craft({ w: entry("F32", [2], [0, 8]) }, 4), /tensor "w": data_offsets \[0, 8\] run past the end of the data section \(4 bytes\)/);
    refuse(craft({ w: entry("F32", [2], [8, 0]) }, 8), /tensor "w": data_offsets \[8, 0\] end before they begin/);
    refuse(craft({ w: entry("F32", [2], [0]) }, 8), /tensor "w": data_offsets \[0\] is not a pair/);
    refuse(craft({ w: entry("F32", [2], [-4, 4]) }, 8), /tensor "w": data_offsets \[-4,4\] is not a pair of non-negative integers/);
    refuse(craft({ w: entry("F32", [3], [0, 8]) }, 8), /tensor "w": data_offsets \[0, 8\] hold 8 bytes but F32 shape \[3\] needs 12/);
    refuse(
      craft({ a: entry("F32", [2], [0, 8]), b: entry("F32", [2], [4, 12]) }, 12),
      /tensor "b": data_offsets \[4, 12\] overlap those of tensor "a" \[0, 8\]/,
    );
    refuse(craft({ a: entry("I64", [1], [0, 8]), b: entry("F64", [], [0, 8]) }, 8), /overlap/);
    // empty tensors may share an offset
    const ok = readSafetensors(craft({ a: entry("F32", [0], [4, 4]), b: entry("F32", [0, 2], [4, 4]), c: entry("F32", [1], [0, 4]) }, 4));
    expect(ok.tensors.get("b")!.shape).toEqual([0, 2]);
    expect(ok.tensors.get("c")!.data.length).toBe(1);
  });

  it("gaps, trailing bytes, duplicate names and deep nesting (the reference implementation refuses them too)", () => {
    refuse(craft({ a: entry("F32", [1], [0, 4]), b: entry("F32", [1], [8, 12]) }, 12), /tensor "b": data_offsets \[8, 12\] leave a gap: bytes \[4, 8\)/);
    refuse(craft({ a: entry("F32", [1], [0, 4]) }, 8), /4 trailing byte\(s\) after the last tensor/);
    const header = (text: string, data = 0) => {
      const h = new TextEncoder().encode(text);
      const out = new Uint8Array(8 + h.length + data);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      return out;
    };
    refuse(header(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), /names tensor "w" twice/);
    refuse(header(`{"w\\u0041":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"wA":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`, 8), /names tensor "wA" twice/);
    const deep = `{"w":{"dtype":"F32","shape":${"[".repeat(5000)}${"]".repeat(5000)},"data_offsets":[0,0]}}`;
    refuse(header(deep), /nests deeper than 4 levels/);
  });

  it("bool bytes other than 0 and 1", () => {
    refuse(craft({ m: entry("BOOL", [3], [0, 3]) }, 3, 2), /tensor "m": bool element 0 has byte value 2/);
  });
});

describe("host tensor conversions", () => {
  it("decodes float16 and bfloat16", () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x8000].map(float16BitsToNumber)).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, -0]);
    expect(float16BitsToNumber(0x7c00)).toBe(Infinity);
    expect(float16BitsToNumber(0x7e00)).toBeNaN();
    expect([0x3f80, 0xc049, 0x0001].map(bfloat16BitsToNumber)).toEqual([1, Math.fround(-3.140625), Math.fround(2 ** -133)]);
    const h: HostTensor = { dtype: "float16", shape: [2], data: new Uint16Array([0x3555, 0xfc00]) };
    expect(Array.from(toFloat32(h))).toEqual([Math.fround(0.333251953125), -Infinity]);
    const b: HostTensor = { dtype: "bfloat16", shape: [1], data: new Uint16Array([0x4049]) };
    expect(toNumberArray(b)).toEqual([3.140625]);
  });

  it("float32 shares its buffer; other dtypes convert", () => {
    const f: HostTensor = { dtype: "float32", shape: [1], data: new Float32Array([2]) };
    expect(toFloat32(f)).toBe(f.data);
    expect(Array.from(toFloat32({ dtype: "int64", shape: [2], data: new BigInt64Array([-3n, 5n]) }))).toEqual([-3, 5]);
    expect(Array.from(toFloat32({ dtype: "bool", shape: [2], data: new Uint8Array([1, 0]) }))).toEqual([1, 0]);
    expect(Array.from(toFloat32({ dtype: "float64", shape: [1], data: new Float64Array([0.1]) }))).toEqual([Math.fround(0.1)]);
  });

  it("int64 → int32 / number checks overflow", () => {
    const ok: HostTensor = { dtype: "int64", shape: [3], data: new BigInt64Array([-(2n ** 31n), 0n, 2n ** 31n - 1n]) };
    expect(Array.from(toInt32(ok))).toEqual([-2147483648, 0, 2147483647]);
    expect(() => toInt32({ dtype: "int64", shape: [2], data: new BigInt64Array([0n, 2n ** 31n]) }, "steps")).toThrow(/steps element 1 \(2147483648\) does not fit in int32/);
    expect(() => toInt32({ dtype: "float32", shape: [1], data: new Float32Array(1) })).toThrow(/dtype float32/);
    expect(Array.from(toInt32({ dtype: "uint8", shape: [1], data: new Uint8Array([200]) }))).toEqual([200]);
    expect(toNumberArray({ dtype: "int64", shape: [1], data: new BigInt64Array([2n ** 53n - 1n]) })).toEqual([2 ** 53 - 1]);
    expect(() => toNumberArray({ dtype: "int64", shape: [2], data: new BigInt64Array([1n, 2n ** 53n]) })).toThrow(/element 1 \(9007199254740992\) is not exactly representable/);
  });
});
