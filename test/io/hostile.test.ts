/**
 * Hostile checkpoints: tiny files whose naive loading never ends or allocates gigabytes. Each
 * must end quickly, within a small memory bound, with a named error or a correct load.
 */
import { describe, expect, it } from "vitest";
import { flattenStateDict, readPth, readSafetensors, WeightFileError } from "../../src/runtime/io/index.js";
import { deflateRawSync } from "node:zlib";
import { buildZip, f32bytes, P, pickle, tensorOps, torchZip } from "./helpers.js";

const heap = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;

/** Run `body`; it must take under `seconds` and grow memory by under `mib`. */
function bounded<T>(body: () => T, seconds = 5, mib = 200): T {
  const [t0, m0] = [performance.now(), heap()];
  const out = body();
  expect((performance.now() - t0) / 1000).toBeLessThan(seconds);
  expect((heap() - m0) / 2 ** 20).toBeLessThan(mib);
  return out;
}

describe("hostile .pth files end quickly with named errors", () => {
  it("a dict that contains itself under 'model' is refused while unwrapping, not looped over", () => {
    // d = {}; d["model"] = d
    const pkl = pickle(P.proto(2), P.emptyDict, P.put(0), P.shortStr("model"), P.get(0), P.setitem, P.stop);
    const obj = readPth(torchZip(pkl, {}), "self.pth");
    expect(() => bounded(() => flattenStateDict(obj))).toThrow(/refer back to themselves while unwrapping/);
  });

  it("40 memoised lists each [prev, prev] (2^40 paths) are walked once each", () => {
    const parts: number[][] = [P.proto(2), [...tensorOps("FloatStorage", "0", 1, 0, [1], [1])], P.put(0)];
    for (let i = 1; i <= 40; i++) parts.push([...P.emptyList, ...P.mark, ...P.get(i - 1), ...P.get(i - 1), ...P.appends, ...P.put(i)]);
    parts.push([...P.emptyDict, ...P.shortStr("w"), ...P.get(40), ...P.setitem, ...P.stop]);
    const obj = readPth(torchZip(pickle(...parts), { "0": f32bytes([1.5]) }), "shared.pth");
    const flat = bounded(() => flattenStateDict(obj));
    // the innermost list names its tensor twice (as tied weights are); every other list is walked once
    expect([...flat.keys()]).toEqual([`w${".0".repeat(40)}`, `w${".0".repeat(39)}.1`]);
  });

  it("lists nested 100,000 deep flatten without recursion", () => {
    const depth = 100_000;
    const parts: number[][] = [P.proto(2), P.emptyDict, P.shortStr("w")];
    for (let i = 0; i < depth; i++) parts.push(P.emptyList);
    parts.push(tensorOps("FloatStorage", "0", 1, 0, [1], [1]));
    for (let i = 0; i < depth; i++) parts.push(P.append);
    parts.push(P.setitem, P.stop);
    const obj = readPth(torchZip(Uint8Array.from(parts.flat()), { "0": f32bytes([2]) }), "deep.pth");
    const flat = bounded(() => flattenStateDict(obj));
    expect(flat.size).toBe(1);
  });

  it("a stride-0 view of 10^9 elements over a 4-byte storage is refused before it allocates", () => {
    const pkl = pickle(P.proto(2), P.emptyDict, P.shortStr("w"), tensorOps("FloatStorage", "0", 1, 0, [1000, 1000, 1000], [0, 0, 0]), P.setitem, P.stop);
    expect(() => bounded(() => readPth(torchZip(pkl, { "0": f32bytes([1]) }), "expand.pth"))).toThrow(/expand\.pth.*views would copy 4000000000 bytes out of 4 bytes of storage/);
  });

  it("one 16 MB storage viewed 200 times is read once and shared, not copied 200 times", () => {
    const numel = 4 * 2 ** 20;
    const parts: number[][] = [P.proto(2), P.emptyDict];
    for (let i = 0; i < 200; i++) parts.push([...P.shortStr(`w${i}`), ...tensorOps("FloatStorage", "0", numel, 0, [numel], [1]), ...P.setitem]);
    parts.push(P.stop);
    const file = torchZip(pickle(...parts), { "0": new Uint8Array(numel * 4) });
    const flat = bounded(() => flattenStateDict(readPth(file, "shared-storage.pth")), 10, 200);
    expect(flat.size).toBe(200);
  });

  it("a deflate bomb (1 MB inflating to 1 GiB for one element) stops at the entry's declared size", () => {
    const pkl = pickle(P.proto(2), P.emptyDict, P.shortStr("w"), tensorOps("FloatStorage", "0", 1, 0, [1], [1]), P.setitem, P.stop);
    const bomb = deflateRawSync(new Uint8Array(256 * 2 ** 20), { level: 9 });
    // the zip entry declares 4 bytes; its deflate stream would produce 256 MiB
    const zip = buildZip([
      { name: "archive/data.pkl", data: pkl, method: 0 },
      { name: "archive/data/0", data: new Uint8Array(4), method: 8, compressed: bomb },
      { name: "archive/version", data: new TextEncoder().encode("3\n"), method: 0 },
    ]);
    expect(() => bounded(() => readPth(zip, "bomb.pth"), 5, 100)).toThrow(/bomb\.pth.*inflates past the 4 bytes the entry declares/);
  });
});

describe("hostile safetensors headers", () => {
  it("deep nesting is refused before JSON.parse or an error message can recurse", () => {
    const text = `{"w":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const h = new TextEncoder().encode(text);
    const bytes = new Uint8Array(8 + h.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(h.length), true);
    bytes.set(h, 8);
    expect(() => bounded(() => readSafetensors(bytes, "deep.safetensors"))).toThrow(WeightFileError);
    expect(() => readSafetensors(bytes, "deep.safetensors")).toThrow(/deep\.safetensors: header nests deeper than 4 levels/);
  });
});
