/**
 * UniFormerV2 weights: save → load round trips (bit-identical parameters, identical logits), and
 * every way a checkpoint can be wrong — a wrong shape, a missing key, unexpected keys, the
 * training code's `backbone.`/`module.` prefixes, a truncated file, another fixture's weights —
 * fails (or reports) clearly, naming the key, the shapes and the file.
 */
import { copyFileSync, readFileSync, statSync, truncateSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { data } from "../../src/dsl/realize.js";
import { toFloat32, type HostTensor } from "../../src/runtime/io/host-tensor.js";
import { loadSafetensors, writeSafetensors } from "../../src/runtime/io/safetensors.js";
import {
  counterKeys,
  flatFromTree,
  fromOfficialArgs,
  loadWeights,
  normalizeKeys,
  paramSpecs,
  paramsFromStateDict,
  readCheckpoint,
  saveWeights,
  stateDictFromParams,
  uniformerv2,
  WeightError,
  type OfficialArgs,
  type UniFormerV2Config,
  type UniFormerV2Params,
} from "../../src/models/uniformerv2/index.js";
import { fixtureDir, randomParams, randomVideo, tempDir, tinyConfig } from "./helpers.js";

const tmp = tempDir("wgt-uv2-weights-");
afterAll(tmp.cleanup);

function fixture(name: "A" | "C") {
  const dir = fixtureDir(name);
  const args = (JSON.parse(readFileSync(`${dir}config.json`, "utf8")) as { constructor_args: OfficialArgs }).constructor_args;
  const config = fromOfficialArgs(args);
  const input = loadSafetensors(`${dir}input.safetensors`).tensors.get("video")!;
  const video = core.permute(core.constant(toFloat32(input), input.shape, "float32"), [0, 2, 3, 4, 1]);
  return { dir, args, config, video };
}

const bytesOf = (a: ArrayLike<number>): Buffer => {
  const f = Float32Array.from(a);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
};

/** Every parameter of `a` equals `b`'s bit for bit, with the same shapes and the same keys. */
function expectSameParams(a: UniFormerV2Params, b: UniFormerV2Params): void {
  const fa = flatFromTree(a);
  const fb = flatFromTree(b);
  expect([...fb.keys()].sort()).toEqual([...fa.keys()].sort());
  for (const [k, t] of fa) {
    const u = fb.get(k)!;
    expect(u.shape, k).toEqual(t.shape);
    expect(bytesOf(data(u)).equals(bytesOf(data(t))), `${k} differs`).toBe(true);
  }
}

/** Catch what `f` throws (sync or async). */
async function thrown(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error, none was thrown");
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("save → load round trip", () => {
  it("fixture A: identical parameters, identical tensors in the file, identical logits", async () => {
    const { dir, config, video } = fixture("A");
    const { params } = await loadWeights(config, `${dir}weights.safetensors`);
    const out = path.join(tmp.dir, "a.safetensors");
    saveWeights(config, params, out, { note: "round trip" });
    const { params: again, report } = await loadWeights(config, out);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect([...report.ignored].sort()).toEqual(counterKeys(config).sort());
    expectSameParams(params, again);
    // The saved file holds the official layout: the same tensors as the fixture's file.
    const original = loadSafetensors(`${dir}weights.safetensors`);
    const saved = loadSafetensors(out);
    expect(saved.metadata).toMatchObject({ note: "round trip", format: "pt" });
    for (const spec of paramSpecs(config)) {
      const o = original.tensors.get(spec.key)!;
      const s = saved.tensors.get(spec.key)!;
      expect(s.shape, spec.key).toEqual(o.shape);
      expect(bytesOf(toFloat32(s)).equals(bytesOf(toFloat32(o))), `${spec.key} differs from the fixture's`).toBe(true);
    }
    for (const key of counterKeys(config)) expect(saved.tensors.get(key)?.dtype, key).toBe("int64");
    const a = data(uniformerv2(params, video, config).logits);
    const b = data(uniformerv2(again, video, config).logits);
    expect(bytesOf(b).equals(bytesOf(a))).toBe(true);
  });

  it.each([
    ["parallel fusion, frozen, single LT-MHRA", tinyConfig({ fusion: "parallel", frozen: true, doubleLmhra: false, returnList: [0, 1] })],
    ["hierarchicalKV, temporal downsampling, no LT-MHRA", tinyConfig({ fusion: "hierarchicalKV", noLmhra: true, temporalDownsample: true, frames: 4, returnList: [1] })],
    ["hierarchicalQ, dwReduction 1.5", tinyConfig({ fusion: "hierarchicalQ", dwReduction: 1.5, heads: 4, width: 12, layers: 3, returnList: [0, 2] })],
  ] as const)("random parameters (%s): identical parameters and logits", async (_, config: UniFormerV2Config) => {
    const params = randomParams(config, 9);
    const out = path.join(tmp.dir, `${config.fusion}.safetensors`);
    saveWeights(config, params, out);
    const { params: again, report } = await loadWeights(config, out);
    expect(report).toEqual({ missing: [], unexpected: [], ignored: counterKeys(config) });
    expectSameParams(params, again);
    const video = randomVideo(config, 2, 10);
    expect(bytesOf(data(uniformerv2(again, video, config).logits)).equals(bytesOf(data(uniformerv2(params, video, config).logits)))).toBe(true);
  });

  it("stateDictFromParams → paramsFromStateDict in memory is the identity", () => {
    const config = tinyConfig({ fusion: "parallel" });
    const params = randomParams(config, 4);
    const sd = stateDictFromParams(config, params);
    expect([...sd.keys()]).toEqual([...paramSpecs(config).map((s) => s.key), ...counterKeys(config)]);
    expectSameParams(params, paramsFromStateDict(config, sd).params);
  });
});

describe("checkpoint problems", () => {
  const A = fixture("A");
  const C = fixture("C");
  const stateDictA = loadSafetensors(`${A.dir}weights.safetensors`).tensors;

  it("a wrong shape throws WeightError naming the key and both shapes (and the file)", async () => {
    const key = "transformer.dec.1.ln_3.weight";
    const sd = new Map(stateDictA);
    sd.set(key, { dtype: "float32", shape: [63], data: new Float32Array(63) });
    const e = await thrown(() => paramsFromStateDict(A.config, sd));
    expect(e).toBeInstanceOf(WeightError);
    expect(e.message).toContain(`"${key}"`);
    expect(e.message).toContain("[63]");
    expect(e.message).toContain("[64]");
    // Same element count, another shape (a transposed head).
    const head = "transformer.proj.2.weight";
    const t = stateDictA.get(head)!;
    const sd2 = new Map(stateDictA);
    sd2.set(head, { ...t, shape: [64, 10] } as HostTensor);
    const file = path.join(tmp.dir, "transposed-head.safetensors");
    writeSafetensors(file, sd2);
    const e2 = await thrown(() => loadWeights(A.config, file));
    expect(e2).toBeInstanceOf(WeightError);
    expect(e2.message).toMatch(new RegExp(`^${escape(file)}: "${escape(head)}" has shape \\[64, 10\\], the config needs \\[10, 64\\]`));
  });

  it("a missing key throws WeightError listing it; with a fallback it is reported and filled", async () => {
    const key = "transformer.resblocks.2.lmhra2.pos_embed.2.weight";
    const sd = new Map(stateDictA);
    sd.delete(key);
    sd.delete("transformer.balance");
    const e = await thrown(() => paramsFromStateDict(A.config, sd, { source: "ckpt.pth" }));
    expect(e).toBeInstanceOf(WeightError);
    expect(e.message).toMatch(/^ckpt\.pth: 2 parameter\(s\) missing for this config/);
    expect(e.message).toContain(key);
    expect(e.message).toContain("transformer.balance");
    const fallback = randomParams(A.config, 1);
    const { params, report } = paramsFromStateDict(A.config, sd, { fallback });
    expect([...report.missing].sort()).toEqual([key, "transformer.balance"].sort());
    const flat = flatFromTree(params);
    expect(bytesOf(data(flat.get(key)!)).equals(bytesOf(data(flatFromTree(fallback).get(key)!)))).toBe(true);
    expect(flat.size).toBe(paramSpecs(A.config).length);
  });

  it("many missing keys are listed (the first eight, then …)", async () => {
    const sd = new Map([...stateDictA].filter(([k]) => !k.startsWith("transformer.dec.")));
    const e = await thrown(() => paramsFromStateDict(A.config, sd));
    expect(e).toBeInstanceOf(WeightError);
    const n = paramSpecs(A.config).filter((s) => s.key.startsWith("transformer.dec.")).length;
    expect(e.message).toContain(`${n} parameter(s) missing`);
    expect(e.message).toContain("transformer.dec.0.attn.in_proj_weight");
    expect(e.message).toMatch(/, …$/);
  });

  it("unexpected keys are reported, not silently dropped; counters are ignored", () => {
    const sd = new Map(stateDictA);
    sd.set("head.fc.weight", { dtype: "float32", shape: [2], data: new Float32Array(2) });
    sd.set("transformer.resblocks.9.ln_1.weight", { dtype: "float32", shape: [64], data: new Float32Array(64) });
    const { report } = paramsFromStateDict(A.config, sd);
    expect([...report.unexpected].sort()).toEqual(["head.fc.weight", "transformer.resblocks.9.ln_1.weight"]);
    expect(report.missing).toEqual([]);
    expect([...report.ignored].sort()).toEqual(counterKeys(A.config).sort());
  });

  it("strips backbone./module./model. prefixes (the slowfast .pth and DDP checkpoints)", async () => {
    const plain = paramsFromStateDict(A.config, stateDictA).params;
    for (const prefix of ["backbone.", "module.", "module.backbone.", "model."]) {
      const sd = new Map([...stateDictA].map(([k, v]) => [`${prefix}${k}`, v] as const));
      expect([...normalizeKeys(sd).keys()]).toEqual([...stateDictA.keys()]);
      const { params, report } = paramsFromStateDict(A.config, sd);
      expect(report.unexpected, prefix).toEqual([]);
      expectSameParams(plain, params);
    }
    // The slowfast-format file nests the model as .backbone.
    const sf = await readCheckpoint(`${A.dir}weights_slowfast_format.pth`);
    expect([...sf.keys()].some((k) => k.includes("backbone."))).toBe(true);
    expectSameParams(plain, (await loadWeights(A.config, `${A.dir}weights_slowfast_format.pth`)).params);
    // Two keys that collide once stripped.
    const clash = new Map<string, HostTensor>([
      ["backbone.class_embedding", stateDictA.get("class_embedding")!],
      ["module.class_embedding", stateDictA.get("class_embedding")!],
    ]);
    expect(() => normalizeKeys(clash)).toThrow(WeightError);
    expect(() => normalizeKeys(clash)).toThrow(/"module\.class_embedding" twice once prefixes are removed \(as "class_embedding"\)/);
  });

  it("a non-float tensor is refused by name", () => {
    const sd = new Map(stateDictA);
    sd.set("class_embedding", { dtype: "int32", shape: [64], data: new Int32Array(64) });
    expect(() => paramsFromStateDict(A.config, sd)).toThrow(WeightError);
    expect(() => paramsFromStateDict(A.config, sd)).toThrow(/"class_embedding" is int32, expected a floating-point tensor/);
  });

  it.each([
    ["weights.safetensors", 0.5],
    ["weights.safetensors", 4 / 2_018_856],
    ["weights.pth", 0.5],
    ["weights.pth", 0.99],
  ] as const)("a truncated copy of %s (%f of it) fails naming the file", async (file, fraction) => {
    const copy = path.join(tmp.dir, `truncated-${fraction}-${file}`);
    copyFileSync(`${A.dir}${file}`, copy);
    truncateSync(copy, Math.max(1, Math.floor(statSync(copy).size * fraction)));
    const e = await thrown(() => loadWeights(A.config, copy));
    expect(e.message.startsWith(`${copy}: `), e.message).toBe(true);
    expect(e.message).toMatch(/truncated|too short|past the end/);
  });

  it("a missing file and an unknown format are named", async () => {
    const missing = path.join(tmp.dir, "no-such.safetensors");
    expect((await thrown(() => loadWeights(A.config, missing))).message).toContain(missing);
    const e = await thrown(() => loadWeights(A.config, path.join(tmp.dir, "w.bin")));
    expect(e).toBeInstanceOf(WeightError);
    expect(e.message).toMatch(/w\.bin: unknown checkpoint format/);
  });

  it("fixture C's weights in fixture A's config (and back) fail clearly", async () => {
    // A downsamples in time (conv1 kernel 3 in T); C does not.
    const e = await thrown(() => loadWeights(A.config, `${C.dir}weights.safetensors`));
    expect(e).toBeInstanceOf(WeightError);
    expect(e.message).toContain(`${C.dir}weights.safetensors: "conv1.weight" has shape [64, 3, 1, 16, 16], the config needs [64, 3, 3, 16, 16]`);
    const back = await thrown(() => loadWeights(C.config, `${A.dir}weights.pth`));
    expect(back).toBeInstanceOf(WeightError);
    expect(back.message).toContain(`"conv1.weight" has shape [64, 3, 3, 16, 16], the config needs [64, 3, 1, 16, 16]`);
    // With matching stems, C's checkpoint lacks A's LT-MHRA: a missing-keys error.
    const aNoDownsample = fromOfficialArgs({ ...A.args, temporal_downsample: false });
    const missing = await thrown(() => loadWeights(aNoDownsample, `${C.dir}weights.safetensors`));
    expect(missing).toBeInstanceOf(WeightError);
    expect(missing.message).toMatch(/parameter\(s\) missing for this config: transformer\.resblocks\.0\.lmhra1\.pos_embed\.0\.weight/);
    // And A's checkpoint in C's layout (no LT-MHRA) reports every LT-MHRA tensor as unexpected.
    const cDownsample = fromOfficialArgs({ ...C.args, temporal_downsample: true });
    const { report } = await loadWeights(cDownsample, `${A.dir}weights.safetensors`);
    expect(report.missing).toEqual([]);
    // 10 tensors and one num_batches_tracked counter per LT-MHRA (4 layers × 2) the config lacks.
    expect(report.unexpected.length).toBe(4 * 2 * 11);
    expect(report.unexpected.every((k) => /\.lmhra[12]\.pos_embed\./.test(k))).toBe(true);
  });

  it("parameters that lack a tensor cannot be saved", () => {
    const config = tinyConfig();
    const sequential = randomParams(config, 1);
    const parallel = { ...config, fusion: "parallel" } as const;
    expect(() => stateDictFromParams(parallel, sequential)).toThrow(WeightError);
    expect(() => stateDictFromParams(parallel, sequential)).toThrow(/parameters lack "transformer\.extra_queries\.0"/);
  });
});
