/**
 * The tuning cache (platform/node.ts's file, runtime/webgpu/tuning-cache.ts's use of it) and
 * `compileProgram`'s choice of a tuned tiling per shape class. Every test points the cache at a
 * temporary folder (`WGTENSOR_CACHE_DIR` or an explicit cache): under vitest the default cache
 * is off, so no test reads or writes the user's.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { cacheDir, fileTuningCache, platform, TUNING_FILE } from "../../src/platform/node.js";
import { MAX_TUNING_ENTRIES, memoryTuningCache, type TuningCache } from "../../src/platform/types.js";
import * as core from "../../src/dsl/core.js";
import { fromFlat } from "../../src/dsl/host/array.js";
import { spec, trace } from "../../src/dsl/transforms.js";
import type { DotTiling } from "../../src/compiler/wgsl/kernels/dot.js";
import { DOT_CANDIDATES, dotTilingFor, dotTilingProblem, LAVAPIPE_DOT_TILING, representativeShape, shapeClass } from "../../src/runtime/webgpu/dot-tiling.js";
import { cachedDotTilings, knownTiling, parseRecord, tuningKey, usableTilings } from "../../src/runtime/webgpu/tuning-cache.js";
import { compileProgram } from "../../src/runtime/webgpu/jit.js";
import { describeGpu, gpuContext } from "../gpu/harness.js";

const tempDir = () => mkdtempSync(path.join(tmpdir(), "wgt-tune-"));
const savedEnv = { ...process.env };
afterEach(() => {
  for (const name of ["WGTENSOR_CACHE_DIR", "XDG_CACHE_HOME"]) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  vi.restoreAllMocks();
});

describe("the Node tuning cache file", () => {
  it("round-trips values through tuning.json, across instances", async () => {
    const dir = tempDir();
    const a = fileTuningCache(dir);
    expect(a.location).toBe(path.join(dir, TUNING_FILE));
    expect(a.persistent).toBe(true);
    expect(await a.get("k")).toBeUndefined();
    await a.put("k", { classes: { square: { tiling: LAVAPIPE_DOT_TILING } } });
    await a.put("other", [1, 2]);
    const b = fileTuningCache(dir);
    expect(await b.get("k")).toEqual({ classes: { square: { tiling: LAVAPIPE_DOT_TILING } } });
    expect((await b.entries()).map(([k]) => k).sort()).toEqual(["k", "other"]);
    await b.put("k", 42);
    expect(await a.get("k")).toBe(42);
    await b.clear();
    expect(await a.get("k")).toBeUndefined();
  });

  it("ignores a corrupt file with one warning, then replaces it", async () => {
    const dir = tempDir();
    const file = path.join(dir, TUNING_FILE);
    writeFileSync(file, '{"format": "wgtensor-tuning-cache", "entries": [tru');
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const cache = fileTuningCache(dir);
    expect(await cache.get("k")).toBeUndefined();
    expect(await cache.entries()).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/not JSON, ignored/);
    await cache.put("k", "v");
    expect(JSON.parse(readFileSync(file, "utf8")).format).toBe("wgtensor-tuning-cache");
    expect(await cache.get("k")).toBe("v");
  });

  it("ignores a foreign file (another format) and entries without a key", async () => {
    const dir = tempDir();
    const file = path.join(dir, TUNING_FILE);
    writeFileSync(file, JSON.stringify({ format: "someone-else", entries: [{ key: "k", value: 1, written: 1 }] }));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(await fileTuningCache(dir).get("k")).toBeUndefined();
    expect(String(warn.mock.calls[0]![0])).toMatch(/not a wgtensor tuning cache/);
    writeFileSync(file, JSON.stringify({ format: "wgtensor-tuning-cache", entries: [{ value: 1 }, { key: "k", value: 2, written: 1 }, 7] }));
    expect(await fileTuningCache(dir).entries()).toEqual([["k", 2]]);
  });

  it("keeps another adapter's entry (a foreign key) and never hands it out for this one", async () => {
    const dir = tempDir();
    const cache = fileTuningCache(dir);
    await cache.put("another adapter", { classes: { square: { tiling: LAVAPIPE_DOT_TILING } } });
    await cache.put("this adapter", { classes: {} });
    expect(await cache.get("this adapter")).toEqual({ classes: {} });
    expect(await cache.get("a third")).toBeUndefined();
    expect((await cache.entries()).length).toBe(2);
  });

  it("writes atomically: a new file replaces the old by rename, no temporary file stays", async () => {
    const dir = tempDir();
    const file = path.join(dir, TUNING_FILE);
    const cache = fileTuningCache(dir);
    await cache.put("a", 1);
    const before = statSync(file).ino;
    await cache.put("b", 2);
    expect(statSync(file).ino).not.toBe(before);
    expect(readdirSync(dir)).toEqual([TUNING_FILE]);
  });

  it("creates the folder and is bounded (the oldest entries go first)", async () => {
    const dir = path.join(tempDir(), "deeper", "wgtensor");
    const cache = fileTuningCache(dir);
    for (let i = 0; i < MAX_TUNING_ENTRIES + 4; i++) await cache.put(`k${i}`, i);
    const keys = (await cache.entries()).map(([k]) => k);
    expect(keys.length).toBe(MAX_TUNING_ENTRIES);
    expect(keys).not.toContain("k0");
    expect(keys).toContain(`k${MAX_TUNING_ENTRIES + 3}`);
  });

  it("a write that fails warns and does not throw", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "file"), "x");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await expect(fileTuningCache(path.join(dir, "file", "below")).put("k", 1)).resolves.toBeUndefined();
    expect(String(warn.mock.calls.at(-1)?.[0])).toMatch(/cannot write the tuning cache/);
  });

  it("lives where WGTENSOR_CACHE_DIR says; off under vitest unless it is set", () => {
    expect(cacheDir({ WGTENSOR_CACHE_DIR: "/x/y" })).toBe("/x/y");
    expect(cacheDir({ WGTENSOR_CACHE_DIR: "off", XDG_CACHE_HOME: "/c" })).toBeUndefined();
    expect(cacheDir({ VITEST: "true", XDG_CACHE_HOME: "/c" })).toBeUndefined();
    expect(cacheDir({ XDG_CACHE_HOME: "/c" })).toBe(path.join("/c", "wgtensor"));
    if (process.platform === "linux") expect(cacheDir({ XDG_CACHE_HOME: "relative" })).toMatch(/\.cache\/wgtensor$/);
    // The platform's cache reads the variable when asked.
    delete process.env.WGTENSOR_CACHE_DIR;
    expect(platform.tuningCache().persistent).toBe(false);
    const dir = tempDir();
    process.env.WGTENSOR_CACHE_DIR = dir;
    expect(platform.tuningCache().location).toBe(path.join(dir, TUNING_FILE));
  });

  it("the memory cache (browser without IndexedDB, cache off) is bounded too", async () => {
    const cache = memoryTuningCache();
    for (let i = 0; i < MAX_TUNING_ENTRIES + 1; i++) await cache.put(`k${i}`, i);
    expect(await cache.get("k0")).toBeUndefined();
    expect(await cache.get("k1")).toBe(1);
  });
});

describe("shape classes and cached entries", () => {
  it("classifies matmuls: square-ish, long k into a narrow output, batched", () => {
    expect(shapeClass(512, 512, 512)).toBe("square");
    expect(shapeClass(1576, 3072, 768)).toBe("square"); // ViT fc1
    expect(shapeClass(1576, 768, 3072)).toBe("long-k"); // ViT fc2
    expect(shapeClass(197, 197, 64, 24)).toBe("batched"); // attention scores
    expect(shapeClass(8, 8, 512)).toBe("square"); // short k: not worth a class
    for (const cls of ["square", "long-k", "batched"] as const) {
      const { m, n, k, batch } = representativeShape(cls);
      expect(shapeClass(m, n, k, batch)).toBe(cls);
    }
  });

  it("trusts only tilings of today's candidate list", () => {
    expect(knownTiling({ ...LAVAPIPE_DOT_TILING })).toEqual(LAVAPIPE_DOT_TILING);
    expect(knownTiling({ tm: 16, tn: 4, wx: 8, wy: 1, variant: "subgroup", lanes: 32 })).toBeUndefined();
    expect(knownTiling({ ...LAVAPIPE_DOT_TILING, evil: 1 })).toBeUndefined();
    expect(knownTiling("tm16")).toBeUndefined();
    expect(parseRecord({ classes: { square: { tiling: { tm: 3 } }, batched: { tiling: DOT_CANDIDATES[1] }, bogus: {} } })).toEqual({ batched: { tiling: DOT_CANDIDATES[1] } });
    expect(parseRecord("garbage")).toEqual({});
  });

  it("refuses a cached tiling that cannot run on the device (no subgroups, too narrow subgroups)", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const limits = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupSizeY: 256, maxComputeWorkgroupStorageSize: 16384 };
    const device = (features: string[]) => ({ limits, features: new Set(features) }) as unknown as GPUDevice;
    const adapter = (min: number) => ({ info: { vendor: "v", architecture: "a", description: "", device: "", subgroupMinSize: min } }) as unknown as GPUAdapter;
    const entry = { square: { tiling: LAVAPIPE_DOT_TILING } } as unknown as Parameters<typeof usableTilings>[1];
    expect(usableTilings({ device: device(["subgroups"]), adapter: adapter(8) }, entry)).toEqual({ square: LAVAPIPE_DOT_TILING });
    expect(usableTilings({ device: device([]), adapter: adapter(8) }, entry, "test-no-subgroups")).toEqual({});
    expect(usableTilings({ device: device(["subgroups"]), adapter: adapter(4) }, entry, "test-narrow")).toEqual({});
    expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/test-narrow: the tuned square tiling .* cannot run on this adapter .*may be only 4 wide/);
  });

  it("cachedDotTilings reads the entry of this adapter's key only, never rejects", async () => {
    const limits = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupSizeY: 256, maxComputeWorkgroupStorageSize: 16384, maxStorageBuffersPerShaderStage: 8 };
    const ctx = {
      device: { limits, features: new Set(["subgroups"]) } as unknown as GPUDevice,
      adapter: { info: { vendor: "v", architecture: "a", description: "d 1.0", device: "x", subgroupMinSize: 8, subgroupMaxSize: 8 } } as unknown as GPUAdapter,
      backend: "vulkan",
    };
    const cache = memoryTuningCache("test-a");
    await cache.put("not this adapter", { classes: { square: { tiling: LAVAPIPE_DOT_TILING } } });
    expect(await cachedDotTilings(ctx, cache)).toEqual({});
    const newer = memoryTuningCache("test-b");
    await newer.put(tuningKey(ctx), { classes: { "long-k": { tiling: LAVAPIPE_DOT_TILING } } });
    expect(await cachedDotTilings(ctx, newer)).toEqual({ "long-k": LAVAPIPE_DOT_TILING });
    // A driver update changes the description, hence the key.
    expect(tuningKey({ ...ctx, adapter: { info: { ...ctx.adapter.info, description: "d 1.1" } } as unknown as GPUAdapter })).not.toBe(tuningKey(ctx));
    const broken: TuningCache = { ...memoryTuningCache("test-broken"), get: () => Promise.reject(new Error("disk on fire")) };
    expect(await cachedDotTilings(ctx, broken)).toEqual({});
  });
});

const REGISTERS_8X8: DotTiling = { tm: 4, tn: 4, wx: 8, wy: 8, variant: "registers" };
const values = (n: number, shape: number[]) => fromFlat(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), "float32", shape);

describeGpu("compileProgram with a tuned tiling", () => {
  it("uses the cached tiling of each matmul's class, the table's for the others, and computes the same numbers", async () => {
    const ctx = gpuContext();
    expect(dotTilingProblem(ctx, REGISTERS_8X8)).toBeUndefined();
    const table = dotTilingFor(ctx);
    const program = trace((a, b, q, k) => [core.matmul(a, b), core.matmul(q, k)], [spec([40, 24]), spec([24, 40]), spec([3, 20, 8]), spec([3, 8, 20])]);
    const args = [values(40 * 24, [40, 24]), values(24 * 40, [24, 40]), values(3 * 20 * 8, [3, 20, 8]), values(3 * 8 * 20, [3, 8, 20])];
    const cache = memoryTuningCache("test-compile");
    await cache.put(tuningKey(ctx), { classes: { square: { tiling: REGISTERS_8X8 } } });
    const tuned = await compileProgram(program, { context: ctx, tuningCache: cache });
    const plain = await compileProgram(program, { context: ctx, tuningCache: false });
    try {
      const wgsl = (p: typeof tuned) => p.graph.kernels.map((k) => k.wgsl);
      // The square matmul is the 8×8-thread registers kernel; the batched one is the table's.
      expect(wgsl(tuned)[0]).toMatch(/@workgroup_size\(8, 8, 1\)/);
      const forcedTuned = await compileProgram(program, { context: ctx, dotTiling: REGISTERS_8X8 });
      expect(wgsl(tuned)[0]).toBe(wgsl(forcedTuned)[0]);
      forcedTuned.dispose();
      expect(wgsl(tuned)[1]).toBe(wgsl(plain)[1]);
      expect(wgsl(tuned)[0]).not.toBe(wgsl(plain)[0]);
      const [x, y] = await tuned.run(args);
      const [x0, y0] = await plain.run(args);
      const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 4));
      close(x!.data as Float32Array, x0!.data as Float32Array);
      close(y!.data as Float32Array, y0!.data as Float32Array);
      // A tiling given by the caller wins over the cache.
      const forced = await compileProgram(program, { context: ctx, tuningCache: cache, dotTiling: table });
      expect(wgsl(forced)).toEqual(wgsl(plain));
      forced.dispose();
    } finally {
      tuned.dispose();
      plain.dispose();
    }
  });

  it("refuses a cached tiling the device cannot run and compiles with the table's", async () => {
    const real = gpuContext();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    // The same device, seen without the subgroups feature: a subgroup tiling must be refused.
    const features = new Set([...real.device.features].filter((f) => f !== "subgroups"));
    const device = new Proxy(real.device, {
      get: (target, name) => {
        if (name === "features") return features;
        const v = Reflect.get(target, name, target) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const ctx = { ...real, device };
    const cache = memoryTuningCache("test-refuse");
    await cache.put(tuningKey(ctx), { classes: { square: { tiling: LAVAPIPE_DOT_TILING } } });
    const program = trace((a, b) => core.matmul(a, b), [spec([16, 16]), spec([16, 16])]);
    const prog = await compileProgram(program, { context: ctx, tuningCache: cache });
    try {
      expect(prog.graph.kernels[0]!.wgsl).not.toMatch(/subgroupBroadcast/);
      expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/test-refuse: the tuned square tiling .* cannot run on this adapter/);
    } finally {
      prog.dispose();
    }
  });
});
