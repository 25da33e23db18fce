/**
 * PyTorch zip checkpoints: the golden `weights.pth` / `weights_slowfast_format.pth` equal
 * `weights.safetensors` bit for bit; hand-assembled archives and pickles cover offsets and
 * strides, shared storages, every storage dtype, big-endian archives, deflate and zip64, the
 * protocol-4 opcodes; and every malformed or hostile input is refused with an error naming the
 * file and the problem, before anything could run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toNumberArray, type HostTensor } from "../../src/runtime/io/host-tensor.js";
import { PickleError, PyDict, type PyValue, type UnpickleStats } from "../../src/runtime/io/pickle.js";
import { flattenStateDict, loadPth, loadPthArchive, pyAttributes, readPth, readPthArchive } from "../../src/runtime/io/pth.js";
import { loadSafetensors } from "../../src/runtime/io/safetensors.js";
import { memorySource, WeightFileError } from "../../src/runtime/io/source.js";
import { loadStateDict } from "../../src/runtime/io/state-dict.js";
import { ZipReader } from "../../src/runtime/io/zip.js";
import { buildZip, f32bytes, fixture, P, pickle, sameTensor, tempDir, tensorOps, torchZip } from "./helpers.js";

const tensorAt = (obj: PyValue, ...path: (string | number)[]): HostTensor => {
  let v: unknown = obj;
  for (const k of path) v = v instanceof Map ? v.get(k) : (v as unknown[])[k as number];
  return v as HostTensor;
};

describe("golden checkpoints equal the safetensors weights", () => {
  for (const set of ["A", "C"] as const) {
    it(`${set}: weights.pth and weights_slowfast_format.pth give the same keys, dtypes, shapes and bits`, () => {
      const ref = loadSafetensors(fixture(set, "weights.safetensors")).tensors;
      const stats: UnpickleStats = { opcodes: new Map(), globals: new Set() };
      const plainObj = loadPth(fixture(set, "weights.pth"), { stats });
      const plain = flattenStateDict(plainObj);
      const slowObj = loadPth(fixture(set, "weights_slowfast_format.pth"));
      const slow = flattenStateDict(slowObj, { stripPrefix: "backbone." });

      for (const sd of [plain, slow]) {
        expect(new Set(sd.keys())).toEqual(new Set(ref.keys()));
        for (const [k, t] of ref) expect(sameTensor(sd.get(k), t), k).toBe(true);
      }
      // same (module) order in both checkpoints
      expect([...slow.keys()]).toEqual([...plain.keys()]);

      // what the pickles are made of
      expect(plainObj).toBeInstanceOf(PyDict);
      expect((plainObj as PyDict).pyType).toBe("collections.OrderedDict");
      expect(slowObj).toBeInstanceOf(PyDict);
      expect((slowObj as PyDict).pyType).toBe("dict");
      expect([...(slowObj as PyDict).keys()]).toEqual(["model_state"]);
      expect([...stats.globals].sort()).toEqual(
        ["collections OrderedDict", "torch FloatStorage", "torch._utils _rebuild_tensor_v2", ...(set === "A" ? ["torch LongStorage"] : [])].sort(),
      );
      expect(stats.opcodes.get("BINPERSID")).toBe(ref.size);

      // the state_dict's _metadata (module versions), set by BUILD, is kept as an attribute
      const meta = pyAttributes(plainObj).get("_metadata");
      expect(meta).toBeInstanceOf(PyDict);
      expect(((meta as PyDict).get("") as PyDict).get("version")).toBe(1);
      expect(((meta as PyDict).get("conv1") as PyDict).get("version")).toBe(1);
    });
  }

  it("A: num_batches_tracked are int64 scalars, the rest float32", () => {
    const sd = flattenStateDict(loadPth(fixture("A", "weights.pth")));
    const counters = [...sd].filter(([k]) => k.endsWith("num_batches_tracked"));
    expect(counters).toHaveLength(8);
    for (const [, t] of counters) {
      expect(t.dtype).toBe("int64");
      expect(t.shape).toEqual([]);
      expect(toNumberArray(t)).toHaveLength(1);
    }
    for (const [k, t] of sd) if (!k.endsWith("num_batches_tracked")) expect(t.dtype, k).toBe("float32");
  });

  it("archive facts, in-memory reading, loadStateDict on both formats", () => {
    const path = fixture("C", "weights_slowfast_format.pth");
    const arch = loadPthArchive(path);
    expect(arch.prefix).toBe("weights_slowfast_format");
    expect(arch.version).toBe("3");
    expect(arch.byteorder).toBe("little");
    const fromBytes = flattenStateDict(readPth(readFileSync(path), "mem.pth"), { stripPrefix: "backbone." });
    const viaLoad = loadStateDict(path, { stripPrefix: ["module.", "backbone."] });
    const st = loadStateDict(fixture("C", "weights.safetensors"));
    expect(new Set(viaLoad.keys())).toEqual(new Set(st.keys()));
    for (const [k, t] of st) {
      expect(sameTensor(fromBytes.get(k), t)).toBe(true);
      expect(sameTensor(viaLoad.get(k), t)).toBe(true);
    }
  });

  it("deflate-compressed and zip64 re-packs of a checkpoint load the same", () => {
    const path = fixture("C", "weights.pth");
    const zip = new ZipReader(memorySource(readFileSync(path), path));
    // torch's writer always ends its archives with zip64 end records, even small ones
    expect(zip.zip64).toBe(true);
    const entries = [...zip.entries.keys()].map((name) => ({ name, data: zip.read(name) }));
    const ref = flattenStateDict(loadPth(path));
    for (const variant of [
      buildZip(entries.map((e) => ({ ...e, method: 8 as const }))),
      buildZip(entries, { zip64: true }),
      buildZip(entries.map((e, i) => ({ ...e, method: (i % 2 ? 8 : 0) as 0 | 8 })), { zip64: true }),
    ]) {
      const sd = flattenStateDict(readPth(variant, "repacked.pth"));
      expect(sd.size).toBe(ref.size);
      for (const [k, t] of ref) expect(sameTensor(sd.get(k), t), k).toBe(true);
    }
    expect(new ZipReader(memorySource(buildZip(entries), "z")).zip64).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe("hand-assembled checkpoints", () => {
  const ramp = f32bytes(Array.from({ length: 12 }, (_, i) => i));

  it("honours storage offsets and strides (a contiguous copy), scalars, empty tensors and shared storages", () => {
    const pk = pickle(
      P.proto(2),
      P.emptyDict,
      P.mark,
      P.str("transposed"), // storage [0..11] viewed as 3x2 with strides (1, 3), offset 1
      tensorOps("FloatStorage", "0", 12, 1, [3, 2], [1, 3]),
      P.str("row"), // offset 4, 1x4
      tensorOps("FloatStorage", "0", 12, 4, [1, 4], [4, 1]),
      P.str("scalar"),
      tensorOps("FloatStorage", "0", 12, 11, [], []),
      P.str("broadcast"), // stride 0
      tensorOps("FloatStorage", "0", 12, 2, [2, 3], [0, 1]),
      P.str("strided3d"),
      tensorOps("FloatStorage", "0", 12, 0, [2, 2, 2], [6, 1, 3]),
      P.str("empty"),
      tensorOps("FloatStorage", "0", 12, 0, [0, 5], [5, 1]),
      P.str("whole"),
      tensorOps("FloatStorage", "0", 12, 0, [2, 6], [6, 1]),
      P.setitems,
      P.stop,
    );
    const obj = readPth(torchZip(pk, { "0": ramp }), "views.pth");
    const get = (k: string) => tensorAt(obj, k);
    expect(get("transposed").shape).toEqual([3, 2]);
    expect(Array.from(get("transposed").data as Float32Array)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(get("row").data as Float32Array)).toEqual([4, 5, 6, 7]);
    expect(get("scalar").shape).toEqual([]);
    expect(Array.from(get("scalar").data as Float32Array)).toEqual([11]);
    expect(Array.from(get("broadcast").data as Float32Array)).toEqual([2, 3, 4, 2, 3, 4]);
    expect(Array.from(get("strided3d").data as Float32Array)).toEqual([0, 3, 1, 4, 6, 9, 7, 10]);
    expect(get("empty").shape).toEqual([0, 5]);
    expect(get("empty").data.length).toBe(0);
    expect(Array.from(get("whole").data as Float32Array)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // copies, not views of one another
    (get("whole").data as Float32Array)[0] = 99;
    expect((get("transposed").data as Float32Array)[0]).toBe(1);
  });

  it("reads every storage dtype, and swaps bytes of a big-endian archive", () => {
    const cases: [string, string, Uint8Array, number, unknown[]][] = [
      ["DoubleStorage", "float64", new Uint8Array(new Float64Array([1.5, -2]).buffer), 2, [1.5, -2]],
      ["HalfStorage", "float16", new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer), 2, [0x3c00, 0xc000]],
      ["BFloat16Storage", "bfloat16", new Uint8Array(new Uint16Array([0x3f80, 0x4000]).buffer), 2, [0x3f80, 0x4000]],
      ["LongStorage", "int64", new Uint8Array(new BigInt64Array([-5n, 2n ** 40n]).buffer), 2, [-5n, 2n ** 40n]],
      ["IntStorage", "int32", new Uint8Array(new Int32Array([-7, 7]).buffer), 2, [-7, 7]],
      ["ShortStorage", "int16", new Uint8Array(new Int16Array([-300, 300]).buffer), 2, [-300, 300]],
      ["CharStorage", "int8", new Uint8Array(new Int8Array([-1, 1]).buffer), 2, [-1, 1]],
      ["ByteStorage", "uint8", new Uint8Array([200, 1]), 2, [200, 1]],
      ["BoolStorage", "bool", new Uint8Array([1, 0]), 2, [1, 0]],
    ];
    const parts: number[][] = [P.proto(2), P.emptyDict, P.mark];
    const storages: Record<string, Uint8Array> = {};
    cases.forEach(([cls, , bytes, n], i) => {
      parts.push(P.str(cls), tensorOps(cls, `s${i}`, n, 0, [n], [1]));
      storages[`s${i}`] = bytes;
    });
    parts.push(P.setitems, P.stop);
    const obj = readPth(torchZip(pickle(...parts), storages), "dtypes.pth");
    for (const [cls, dtype, , , values] of cases) {
      const t = tensorAt(obj, cls);
      expect(t.dtype, cls).toBe(dtype);
      expect(Array.from(t.data as ArrayLike<unknown>), cls).toEqual(values);
    }

    const be = (xs: number[]) => {
      const b = Buffer.alloc(4 * xs.length);
      xs.forEach((x, i) => b.writeFloatBE(x, 4 * i));
      return new Uint8Array(b);
    };
    const pk = pickle(P.proto(2), tensorOps("FloatStorage", "0", 3, 0, [3], [1]), P.stop);
    const bigEndian = torchZip(pk, { "0": be([1, -2, 0.5]) }, { extra: [{ name: "archive/byteorder", data: Buffer.from("big") }] });
    expect(Array.from((readPth(bigEndian, "be.pth") as HostTensor).data as Float32Array)).toEqual([1, -2, 0.5]);
    expect(readPthArchive(memorySource(bigEndian, "be.pth")).byteorder).toBe("big");
  });

  it("unpickles containers and scalars, protocol-4 framing, STACK_GLOBAL, MEMOIZE, NEWOBJ, _rebuild_parameter", () => {
    const pk = pickle(
      P.proto(4),
      P.frame(0),
      P.emptyDict,
      P.memoize, // 0
      P.mark,
      P.shortStr("ints"),
      P.mark,
      P.int(0),
      P.int(255),
      P.int(65535),
      P.int(-1),
      P.int(2 ** 31 - 1),
      P.long1(-(2n ** 70n)),
      P.long1(2n ** 40n),
      P.long1(0n),
      P.tuple,
      P.str8("misc"),
      P.emptyList,
      P.none,
      P.append,
      P.mark,
      P.true,
      P.false,
      P.float(-0.25),
      P.str("ünï"),
      P.appends,
      P.str("pair"),
      P.int(1),
      P.int(2),
      P.tuple2,
      P.str("od"),
      P.shortStr("collections"),
      P.shortStr("OrderedDict"),
      P.stackGlobal,
      P.emptyTuple,
      P.newobj,
      P.str("k"),
      P.int(3),
      P.setitem,
      P.str("param"),
      P.global("torch._utils", "_rebuild_parameter"),
      tensorOps("FloatStorage", "0", 2, 0, [2], [1]),
      P.true,
      P.global("collections", "OrderedDict"),
      P.emptyTuple,
      P.reduce,
      P.tuple3,
      P.reduce,
      P.str("again"),
      P.get(0),
      P.setitems,
      P.stop,
    );
    const obj = readPth(torchZip(pk, { "0": f32bytes([7, 8]) }), "misc.pth") as PyDict;
    expect(obj.get("ints")).toEqual([0, 255, 65535, -1, 2 ** 31 - 1, -(2n ** 70n), 2 ** 40, 0]);
    expect(Object.isFrozen(obj.get("ints"))).toBe(true);
    expect(obj.get("misc")).toEqual([null, true, false, -0.25, "ünï"]);
    expect(obj.get("pair")).toEqual([1, 2]);
    const od = obj.get("od") as PyDict;
    expect(od.pyType).toBe("collections.OrderedDict");
    expect(od.get("k")).toBe(3);
    expect(Array.from(tensorAt(obj, "param").data as Float32Array)).toEqual([7, 8]);
    expect(obj.get("again")).toBe(obj); // memo reference to the dict itself
    expect([...flattenStateDict(obj).keys()]).toEqual(["param"]); // the cycle is not followed
  });

  it("flattenStateDict unwraps checkpoint containers, nests with dots, strips and adds prefixes", () => {
    const pk = pickle(
      P.proto(2),
      P.emptyDict,
      P.str("epoch"),
      P.int(5),
      P.setitem,
      P.str("state_dict"),
      P.emptyDict,
      P.mark,
      P.str("module.enc"),
      P.emptyDict,
      P.str("w"),
      tensorOps("FloatStorage", "0", 12, 0, [12], [1]),
      P.setitem,
      P.str("module.layers"),
      P.emptyList,
      P.mark,
      tensorOps("FloatStorage", "0", 12, 0, [2], [1]),
      tensorOps("FloatStorage", "0", 12, 2, [2], [1]),
      P.appends,
      P.str("module.step"),
      P.int(3),
      P.setitems,
      P.setitem,
      P.str("optimizer"),
      P.emptyDict,
      P.str("lr"),
      P.float(0.1),
      P.setitem,
      P.setitem,
      P.stop,
    );
    const obj = readPth(torchZip(pk, { "0": ramp }), "nested.pth");
    expect([...flattenStateDict(obj, { stripPrefix: "module." }).keys()]).toEqual(["enc.w", "layers.0", "layers.1"]);
    expect([...flattenStateDict(obj, "net.").keys()]).toEqual(["net.module.enc.w", "net.module.layers.0", "net.module.layers.1"]);
    expect([...flattenStateDict(obj, { unwrap: false }).keys()]).toEqual(["state_dict.module.enc.w", "state_dict.module.layers.0", "state_dict.module.layers.1"]);
    expect(Array.from(flattenStateDict(obj).get("module.layers.1")!.data as Float32Array)).toEqual([2, 3]);
    const collide = new Map<string, HostTensor>([
      ["module.x", { dtype: "float32", shape: [], data: new Float32Array(1) }],
      ["x", { dtype: "float32", shape: [], data: new Float32Array(1) }],
    ]);
    expect(() => flattenStateDict(collide, { stripPrefix: "module." })).toThrow(/"module.x" and "x" both become "x"/);
    expect(() => flattenStateDict(readPth(torchZip(pickle(P.proto(2), P.int(1), P.stop), {}), "i.pth"))).toThrow(/is a number, not a dict/);
  });
});

// ---------------------------------------------------------------------------------------------

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WeightFileError);
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("malformed and hostile checkpoints are refused, naming the file and the problem", () => {
  const ramp = f32bytes(Array.from({ length: 12 }, (_, i) => i));

  it("a forbidden GLOBAL (os system) is rejected at the GLOBAL, before REDUCE could call it", () => {
    // the classic: cos\nsystem\n(S'echo pwned'\ntR.  — here with protocol 2 opcodes
    const evil = pickle(P.proto(2), P.global("os", "system"), P.str("echo pwned"), P.tuple1, P.reduce, P.stop);
    const e = errorOf(() => readPth(torchZip(evil, {}), "evil.pth"));
    expect(e).toBeInstanceOf(PickleError);
    expect(e.message).toMatch(/^evil\.pth \(archive\/data\.pkl\): pickle byte 2: forbidden GLOBAL 'os system'/);
    expect((e as PickleError).offset).toBe(2);
    // and on disk
    const dir = tempDir();
    const path = join(dir, "evil.pth");
    writeFileSync(path, torchZip(evil, {}));
    expect(() => loadPth(path)).toThrow(`${path} (archive/data.pkl): pickle byte 2: forbidden GLOBAL 'os system'`);
  });

  it("other forbidden globals: builtins eval via STACK_GLOBAL, torch internals beyond the allow-list", () => {
    const viaStack = pickle(P.proto(4), P.shortStr("builtins"), P.shortStr("eval"), P.stackGlobal, P.str("1+1"), P.tuple1, P.reduce, P.stop);
    expect(errorOf(() => readPth(torchZip(viaStack, {}), "s.pth")).message).toMatch(/s\.pth \(archive\/data\.pkl\): pickle byte 18: forbidden GLOBAL 'builtins eval'/);
    for (const [m, n] of [["torch", "load"], ["torch.nn.modules.linear", "Linear"], ["numpy.core.multiarray", "scalar"], ["__builtin__", "getattr"]] as const) {
      expect(errorOf(() => readPth(torchZip(pickle(P.proto(2), P.global(m, n), P.stop), {}), "g.pth")).message).toContain(`forbidden GLOBAL '${m} ${n}'`);
    }
  });

  it("unknown and unsupported opcodes are named with their byte offset", () => {
    expect(errorOf(() => readPth(torchZip(pickle(P.proto(2), P.emptyDict, [0xff], P.stop), {}), "u.pth")).message).toBe(
      "u.pth (archive/data.pkl): pickle byte 3: unknown pickle opcode 0xff",
    );
    // INST (protocol 0) would import and call a class by name
    expect(errorOf(() => readPth(torchZip(pickle(P.proto(2), P.mark, [0x69, ...Buffer.from("os\nsystem\n")], P.stop), {}), "i.pth")).message).toBe(
      "i.pth (archive/data.pkl): pickle byte 3: unsupported pickle opcode INST (0x69 'i')",
    );
    expect(errorOf(() => readPth(torchZip(pickle([0x80, 0x02, 0x50], P.stop), {}), "p.pth")).message).toMatch(/byte 2: unsupported pickle opcode PERSID/);
  });

  it("malformed pickles: truncation, stack misuse, non-callables, bad tensor arguments", () => {
    const bad = (pk: Uint8Array, msg: RegExp, storages: Record<string, Uint8Array> = {}) =>
      expect(errorOf(() => readPth(torchZip(pk, storages), "m.pth")).message).toMatch(msg);
    bad(pickle(P.proto(2), P.emptyDict), /m\.pth \(archive\/data\.pkl\): pickle byte 3: truncated pickle: no STOP opcode/);
    bad(pickle(P.proto(2), [0x58, 0xff, 0, 0, 0], [0x41]), /truncated pickle: BINUNICODE needs 255 more bytes/);
    bad(pickle(P.proto(2), P.stop), /pickle byte 2: stack underflow/);
    bad(pickle(P.proto(2), P.get(9), P.stop), /memo entry 9 does not exist/);
    bad(pickle(P.proto(2), P.int(1), P.emptyTuple, P.reduce, P.stop), /REDUCE on a number, which is not an allowed callable/);
    bad(pickle(P.proto(2), P.global("torch", "FloatStorage"), P.emptyTuple, P.reduce, P.stop), /REDUCE on a torch.FloatStorage, which is not an allowed callable/);
    bad(pickle(P.proto(2), P.emptyList, P.int(1), P.int(2), P.setitem, P.stop), /SETITEM on a list, not a dict/);
    bad(pickle(P.proto(2), P.emptyDict, P.emptyList, P.int(2), P.setitem, P.stop), /unhashable dict key of type list/);
    bad(pickle(P.proto(9), P.stop), /unsupported pickle protocol 9/);
    bad(pickle(P.proto(2), P.str("x"), P.binpersid, P.stop), /persistent id: unsupported persistent id str/);
    bad(pickle(P.proto(2), tensorOps("FloatStorage", "0", 12, 10, [3], [1]), P.stop), /_rebuild_tensor_v2: size \[3\], stride \[1\], offset 10 reach element 12 of storage "0", which has 12/, { "0": ramp });
    bad(pickle(P.proto(2), tensorOps("FloatStorage", "0", 12, 0, [2, 2], [2]), P.stop), /differ in rank/, { "0": ramp });
    bad(pickle(P.proto(2), tensorOps("FloatStorage", "0", 13, 0, [2], [1]), P.stop), /storage "0" \(archive\/data\/0\) holds 48 bytes but 13 × float32 needs 52/, { "0": ramp });
    bad(pickle(P.proto(2), tensorOps("BoolStorage", "0", 2, 0, [2], [1]), P.stop), /bool storage "0" holds byte value 7/, { "0": new Uint8Array([1, 7]) });
  });

  it("a storage key with no record in the archive", () => {
    const pk = pickle(P.proto(2), tensorOps("FloatStorage", "7", 12, 0, [12], [1]), P.stop);
    expect(errorOf(() => readPth(torchZip(pk, { "0": ramp }), "k.pth")).message).toMatch(
      /^k\.pth \(archive\/data\.pkl\): pickle byte \d+: persistent id: storage key "7" is missing: the zip has no entry "archive\/data\/7"/,
    );
  });

  it("not a zip, a legacy (torch < 1.6) pickle, a zip without data.pkl, a TorchScript archive", () => {
    expect(errorOf(() => readPth(new Uint8Array(0), "empty.pth")).message).toBe("empty.pth: not a zip archive: the file is empty");
    expect(errorOf(() => readPth(readFileSync(fixture("A", "input.safetensors")), "st.pth")).message).toMatch(/^st\.pth: not a zip archive or truncated: no end-of-central-directory record$/);
    const legacy = pickle([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19], new Uint8Array(64));
    expect(errorOf(() => readPth(legacy, "old.pth")).message).toMatch(/old\.pth: .*legacy torch\.save format of torch < 1\.6/);
    const noPkl = buildZip([{ name: "archive/version", data: Buffer.from("3\n") }]);
    expect(errorOf(() => readPth(noPkl, "n.pth")).message).toMatch(/^n\.pth: not a torch\.save checkpoint: the zip has no data\.pkl entry/);
    const script = buildZip([{ name: "m/constants.pkl", data: new Uint8Array(1) }, { name: "m/code/__torch__.py", data: new Uint8Array(1) }]);
    expect(errorOf(() => readPth(script, "ts.pt")).message).toMatch(/TorchScript archive/);
  });

  it("truncated archives and truncated entries", () => {
    const full = readFileSync(fixture("C", "weights.pth"));
    const dir = tempDir();
    const path = join(dir, "half.pth");
    writeFileSync(path, full.subarray(0, full.byteLength >> 1));
    expect(errorOf(() => loadPth(path)).message).toBe(
      `${path}: not a zip archive or truncated: no end-of-central-directory record (it starts like a zip: the archive is truncated)`,
    );
    // the tail (central directory) intact, a chunk of the middle missing
    const holed = Buffer.concat([full.subarray(0, 100_000), full.subarray(200_000)]);
    expect(errorOf(() => readPth(holed, "holed.pth")).message).toBe(
      "holed.pth: zip64 end-of-central-directory record offset 1448050 is out of range (truncated or corrupt archive)",
    );
    // an entry whose sizes point past the end of the file
    const zip = Buffer.from(torchZip(pickle(P.proto(2), tensorOps("FloatStorage", "0", 12, 0, [12], [1]), P.stop), { "0": ramp }));
    const name = Buffer.from("archive/data/0");
    const cd = zip.indexOf(name, zip.indexOf(name) + 1) - 46; // its central directory record
    expect(zip.readUInt32LE(cd)).toBe(0x02014b50);
    zip.writeUInt32LE(48_000, cd + 20);
    zip.writeUInt32LE(48_000, cd + 24);
    expect(errorOf(() => readPth(zip, "t.pth")).message).toMatch(/^t\.pth: zip entry "archive\/data\/0": truncated: its data \[\d+, \d+\) runs past the end of the file/);
  });

  it("corrupt entry data fails its CRC-32; unsupported zip features are named", () => {
    const good = Buffer.from(readFileSync(fixture("C", "weights.pth")));
    const zip = new ZipReader(memorySource(good, "c"));
    const e = zip.entries.get("weights/data/5")!;
    const bad = Buffer.from(good);
    // torch pads local headers with an extra field so that data is 64-byte aligned
    const lh = good.readUInt16LE(e.localHeaderOffset + 28);
    bad[e.localHeaderOffset + 30 + "weights/data/5".length + lh]! ^= 0x01;
    expect(errorOf(() => readPth(bad, "crc.pth")).message).toMatch(/^crc\.pth: zip entry "weights\/data\/5": CRC-32 mismatch/);

    const z = Buffer.from(torchZip(pickle(P.proto(2), P.none, P.stop), {}));
    const cd = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const enc = Buffer.from(z);
    enc.writeUInt16LE(0x0801, cd + 8);
    expect(errorOf(() => readPth(enc, "enc.pth")).message).toMatch(/zip entry "archive\/data\.pkl": encrypted entries are not supported/);
    const bz = Buffer.from(z);
    bz.writeUInt16LE(12, cd + 10);
    expect(errorOf(() => readPth(bz, "bz.pth")).message).toMatch(/zip entry "archive\/data\.pkl": compression method 12 is not supported/);
  });
});
