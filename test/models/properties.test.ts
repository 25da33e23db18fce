/**
 * UniFormerV2 properties over random tiny configs (fast-check):
 *   - every valid config (resolution 16–32 with patch 8/16, width 8–24 divisible by heads 1–4,
 *     layers 1–3, frames 2–4, LT-MHRA off/single/double, dwReduction 1.5/2, a random non-empty
 *     increasing returnList, mlpFactor 1–4, 2–6 classes, frozen or not, any fusion) builds its
 *     parameters and runs on the CPU interpreter to finite logits [N, numClasses];
 *   - the same on WebGPU agrees with the CPU within 1e-4 (few runs: each compiles its kernels);
 *   - each kind of invalid config is a ConfigError whose every problem names that fault;
 *   - every fusion variant's gradients (global block LN₁ weight, queries, head, an LT-MHRA conv,
 *     a patch of the video) match central finite differences (checkGradients, float64).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { checkGradients, type GradInput } from "../../src/dsl/gradcheck.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { Key } from "../../src/dsl/random/threefry.js";
import {
  ConfigError,
  configProblems,
  flatFromTree,
  fromOfficialArgs,
  geometry,
  initParams,
  paramSpecs,
  treeFromFlat,
  uniformerv2,
  validateConfig,
  type UniFormerV2Config,
  type UniFormerV2Params,
} from "../../src/models/uniformerv2/index.js";
import { describeGpu, expectCpuGpuClose, fcParams } from "../gpu/harness.js";
import { FUSIONS, randomParams, randomVideo, tinyConfig, toOfficialArgs, validConfigArb } from "./helpers.js";

// ---------------------------------------------------------------- valid configs

describe("UniFormerV2 on random valid configs", () => {
  it("are valid and survive the official-arguments round trip", () => {
    fc.assert(
      fc.property(validConfigArb, (c) => {
        expect(configProblems(c)).toEqual([]);
        expect(validateConfig(c)).toBe(c);
        expect(fromOfficialArgs(toOfficialArgs(c), c.fusion)).toEqual(c);
      }),
      { numRuns: 200 },
    );
  });

  it("initParams builds every parameter of paramSpecs, with the fusion's extras", () => {
    fc.assert(
      fc.property(validConfigArb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (c, seed) => {
        const params = initParams(c, Key.fromSeed(seed));
        const flat = flatFromTree(params);
        const specs = paramSpecs(c);
        expect([...flat.keys()].sort()).toEqual(specs.map((s) => s.key).sort());
        for (const s of specs) expect(flat.get(s.key)!.shape, s.key).toEqual(s.shape);
        const extraQueries = [...flat.keys()].filter((k) => k.startsWith("transformer.extra_queries."));
        expect(extraQueries.length).toBe(c.fusion === "sequential" ? 0 : c.returnList.length - 1);
        expect(params.transformer.fusion_proj !== undefined).toBe(c.fusion === "parallel");
        if (c.fusion === "parallel") expect(params.transformer.fusion_proj!.weight.shape).toEqual([c.globalDim, c.globalDim * c.returnList.length]);
        expect(params.transformer.balance !== undefined).toBe(!c.frozen);
        const lmhra = [...flat.keys()].filter((k) => /\.lmhra[12]\./.test(k));
        const perLayer = c.noLmhra ? 0 : c.doubleLmhra ? 2 : 1;
        expect(lmhra.length).toBe(c.layers * perLayer * 10);
        expect(params.transformer.dpe.length).toBe(c.returnList.length);
        expect(params.transformer.dec.length).toBe(c.returnList.length);
      }),
      { numRuns: 60 },
    );
  });

  it("the forward pass on the CPU gives finite logits [N, numClasses] and every intermediate", () => {
    fc.assert(
      fc.property(validConfigArb, fc.integer({ min: 1, max: 2 }), fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (c, n, fresh, seed) => {
        // Fresh (official) initialisation and random values everywhere (no identity branches).
        const params = fresh ? initParams(c, Key.fromSeed(seed)) : randomParams(c, seed);
        const video = randomVideo(c, n, seed ^ 0x5bd1e995);
        const out = uniformerv2(params, video, c, { intermediates: true });
        expect(out.logits.shape).toEqual([n, c.numClasses]);
        expect(out.logits.dtype).toBe("float32");
        const logits = data(out.logits);
        expect(Array.from(logits).every(Number.isFinite), `logits ${Array.from(logits)}`).toBe(true);
        const g = geometry(c);
        const names = [...out.intermediates!.keys()];
        expect(names).toContain("conv1");
        expect(names).toContain("stem");
        expect(names).toContain("fused");
        for (let i = 0; i < c.layers; i++) expect(out.intermediates!.get(`layer.${i}`)!.shape).toEqual([n, g.framesAfterStem, g.tokens, c.width]);
        c.returnList.forEach((_, j) => expect(out.intermediates!.get(`global.${j}`)!.shape).toEqual([n, 1, c.globalDim]));
        expect(names.some((k) => k.endsWith("lmhra1"))).toBe(!c.noLmhra);
        expect(names.some((k) => k.endsWith("lmhra2"))).toBe(!c.noLmhra && c.doubleLmhra);
        // Batch elements are independent: the first alone gives the first row.
        if (n === 2) {
          const first = uniformerv2(params, core.sliceAxis(video, 0, 0, 1), c).logits;
          const a = data(first);
          for (let k = 0; k < c.numClasses; k++) expect(Math.abs(a[k]! - logits[k]!)).toBeLessThan(1e-5);
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

describeGpu("UniFormerV2 on random valid configs, WebGPU against the CPU", () => {
  /**
   * Four random configs, one per fusion variant. Each config compiles
   * its own kernels: ~20–50 s apiece on lavapipe with a cold Mesa shader cache, ~2 s warm (the
   * fixed fast-check seed of `fcParams` keeps the configs, hence the cache, stable).
   */
  it("logits and global queries agree within 1e-4 (every fusion)", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(validConfigArb, fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (random, n, seed) => {
        const c: UniFormerV2Config = { ...random, fusion: FUSIONS[run++ % FUSIONS.length]! };
        const params = randomParams(c, seed);
        const video = randomVideo(c, n, seed + 1);
        const f = (p: UniFormerV2Params, v: AnyTensor) => {
          const out = uniformerv2(p, v, c, { intermediates: true });
          return [out.logits, ...c.returnList.map((_, j) => out.intermediates!.get(`global.${j}`)!)];
        };
        const cmp = await expectCpuGpuClose(f, [params, video] as const, { atol: 1e-4, rtol: 0 }, JSON.stringify(c));
        expect(cmp.gpu[0]!.shape).toEqual([n, c.numClasses]);
        expect(Array.from(data(cmp.gpu[0]!)).every(Number.isFinite)).toBe(true);
      }),
      { numRuns: 4, ...fcParams() },
    );
  }, 300_000);
});

// ---------------------------------------------------------------- invalid configs

interface Mutation {
  readonly name: string;
  readonly apply: (c: UniFormerV2Config, pick: number) => { config: UniFormerV2Config; problem: RegExp };
}

const MUTATIONS: readonly Mutation[] = [
  {
    name: "heads do not divide width",
    apply: (c, pick) => {
      const bad = Array.from({ length: c.width - 1 }, (_, i) => i + 2).filter((h) => c.width % h !== 0);
      const heads = bad[pick % bad.length]!;
      return { config: { ...c, heads }, problem: new RegExp(`heads ${heads} do not divide width ${c.width}`) };
    },
  },
  {
    name: "resolution not divisible by the patch",
    apply: (c, pick) => {
      const inputResolution = c.inputResolution + 1 + (pick % (c.patchSize - 1));
      return { config: { ...c, inputResolution }, problem: new RegExp(`inputResolution ${inputResolution} is not divisible by patchSize ${c.patchSize}`) };
    },
  },
  {
    name: "returnList index past the last layer",
    apply: (c, pick) => {
      const bad = c.layers + (pick % 3);
      const returnList = [...c.returnList, bad];
      return {
        config: { ...c, returnList, mlpDropout: returnList.map(() => 0) },
        problem: new RegExp(`returnList\\[${returnList.length - 1}\\] = ${bad} is not a layer index \\(0…${c.layers - 1}\\)`),
      };
    },
  },
  {
    name: "returnList not increasing",
    apply: (c) => {
      const returnList = c.returnList.length >= 2 ? [...c.returnList].reverse() : [c.returnList[0]!, c.returnList[0]!];
      return { config: { ...c, returnList, mlpDropout: returnList.map(() => 0) }, problem: /returnList must be strictly increasing/ };
    },
  },
  {
    name: "mlpDropout length mismatch",
    apply: (c, pick) => {
      const len = c.returnList.length > 1 && pick % 2 === 0 ? c.returnList.length - 1 : c.returnList.length + 1 + (pick % 2);
      return {
        config: { ...c, mlpDropout: Array.from({ length: len }, () => 0.1) },
        problem: new RegExp(`mlpDropout has ${len} entries for ${c.returnList.length} global blocks`),
      };
    },
  },
  {
    name: "odd frames with temporal downsampling",
    apply: (c, pick) => {
      const frames = [1, 3, 5][pick % 3]!;
      return { config: { ...c, temporalDownsample: true, frames }, problem: new RegExp(`frames ${frames} must be even with temporalDownsample`) };
    },
  },
  {
    name: "globalDim differs from width",
    apply: (c, pick) => {
      const globalDim = c.width + c.globalHeads * (1 + (pick % 3));
      return { config: { ...c, globalDim }, problem: new RegExp(`globalDim ${globalDim} must equal width ${c.width}`) };
    },
  },
];

describe("UniFormerV2 on random invalid configs", () => {
  it.each(MUTATIONS.map((m) => [m.name, m] as const))("%s: ConfigError naming the problem", (_, mutation) => {
    fc.assert(
      fc.property(validConfigArb, fc.nat(1000), (valid, pick) => {
        const { config, problem } = mutation.apply(valid, pick);
        const problems = configProblems(config);
        expect(problems.length).toBeGreaterThan(0);
        // Only the injected fault is reported.
        for (const p of problems) expect(p).toMatch(problem);
        const attempts: Array<[string, () => unknown]> = [
          ["validateConfig", () => validateConfig(config)],
          ["initParams", () => initParams(config, Key.fromSeed(0))],
          ["fromOfficialArgs", () => fromOfficialArgs(toOfficialArgs(config), config.fusion)],
        ];
        for (const [who, attempt] of attempts) {
          let caught: unknown;
          try {
            attempt();
          } catch (error) {
            caught = error;
          }
          expect(caught, `${who} throws`).toBeInstanceOf(ConfigError);
          expect((caught as Error).message, who).toMatch(problem);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("fromOfficialArgs refuses n_layers ≠ len(return_list)", () => {
    const c = tinyConfig();
    expect(() => fromOfficialArgs({ ...toOfficialArgs(c), n_layers: 3 })).toThrow(ConfigError);
    expect(() => fromOfficialArgs({ ...toOfficialArgs(c), n_layers: 3 })).toThrow(/n_layers 3 must equal len\(return_list\) 2/);
  });

  it("lists several problems at once", () => {
    const c = { ...tinyConfig(), heads: 3, inputResolution: 17, returnList: [1, 0] };
    const message = (() => {
      try {
        validateConfig(c);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    expect(message).toMatch(/heads 3 do not divide width 8/);
    expect(message).toMatch(/inputResolution 17 is not divisible by patchSize 8/);
    expect(message).toMatch(/strictly increasing/);
  });
});

// ---------------------------------------------------------------- gradients

/**
 * f(selected params…, videoPatch) = logits, the other parameters closed over as constants; the
 * video patch [1, 2, 2, 2, 3] (both frames, the top-left 2×2 pixels) is added to a fixed video.
 */
function gradientCase(c: UniFormerV2Config, keys: readonly string[], seed: number): { f: (...xs: AnyTensor[]) => AnyTensor; inputs: GradInput[] } {
  const flat = flatFromTree(randomParams(c, seed));
  const video = randomVideo(c, 1, seed + 1);
  const inputs: GradInput[] = keys.map((k) => {
    const t = flat.get(k);
    if (!t) throw new Error(`no parameter ${k}`);
    return { shape: t.shape, data: data(t) };
  });
  const patch = [1, c.frames, 2, 2, 3];
  inputs.push({ shape: patch, data: Float64Array.from({ length: 3 * c.frames * 4 }, (_, i) => 0.5 * Math.sin(1.3 * i + seed)) });
  const r = c.inputResolution - 2;
  const f = (...xs: AnyTensor[]) => {
    const m = new Map(flat);
    keys.forEach((k, i) => m.set(k, xs[i]!));
    const v = core.add(video, core.pad(xs[keys.length]!, [[0, 0], [0, 0], [0, r], [0, r], [0, 0]]));
    return uniformerv2(treeFromFlat(m), v, c).logits;
  };
  return { f, inputs };
}

describe("UniFormerV2 gradients against finite differences", () => {
  it.each(FUSIONS)("%s fusion: global LN₁, queries, head, LT-MHRA, balance, video", (fusion) => {
    const c = tinyConfig({ fusion, layers: 2, returnList: [0, 1], temporalDownsample: fusion === "hierarchicalQ", frames: 2 });
    const keys = [
      "transformer.dec.1.ln_1.weight",
      "transformer.temporal_cls_token",
      ...(fusion === "sequential" ? [] : ["transformer.extra_queries.0"]),
      ...(fusion === "parallel" ? ["transformer.fusion_proj.bias"] : []),
      "transformer.proj.2.weight",
      "transformer.resblocks.0.lmhra1.pos_embed.2.weight",
      "transformer.balance",
    ];
    const { f, inputs } = gradientCase(c, keys, 11);
    const res = checkGradients(f, inputs);
    expect(res.worst, res.where).toBeLessThanOrEqual(1);
    // The last query, the head and the video matter to the logits (the check is not vacuous).
    // (Whether the *first* query matters is the next test's business.)
    const nonZero = (k: number) => res.analytic[k]!.some((g) => Math.abs(g) > 1e-6);
    if (fusion !== "sequential") expect(nonZero(2), "extra query's gradient is all zero").toBe(true);
    else expect(nonZero(1), "temporal_cls_token's gradient is all zero").toBe(true);
    expect(nonZero(keys.indexOf("transformer.proj.2.weight")), "head weight's gradient is all zero").toBe(true);
    expect(nonZero(res.analytic.length - 1), "video gradient is all zero").toBe(true);
  }, 30_000);

  /**
   * Every global block (and the first query) must reach the logits: perturbing block j's output
   * bias, or the temporal CLS query, changes them. (Regression: hierarchicalQ once kept only
   * the output at q̂_j's place, which ignores q_{j−1}, since the queries attend to the tokens
   * independently; it now averages both query tokens.)
   */
  const influence = (fusion: (typeof FUSIONS)[number]) => {
    const c = tinyConfig({ fusion, layers: 2, returnList: [0, 1] });
    const params = randomParams(c, 3);
    const video = randomVideo(c, 1, 4);
    const base = data(uniformerv2(params, video, c).logits);
    const perturbed = (key: string) => {
      const m = flatFromTree(params);
      const t = m.get(key)!;
      // Not a uniform shift: LayerNorm would cancel that.
      const n = t.shape.reduce((a, b) => a * b, 1);
      m.set(key, core.add(t, core.constant(Float32Array.from({ length: n }, (_, i) => Math.sin(2.1 * i + 0.3)), t.shape, "float32")));
      const got = data(uniformerv2(treeFromFlat(m), video, c).logits);
      return Math.max(...Array.from(base, (x, i) => Math.abs(x - got[i]!)));
    };
    for (const key of ["transformer.temporal_cls_token", "transformer.dec.0.attn.out_proj.bias", "transformer.dec.1.attn.out_proj.bias"]) {
      expect(perturbed(key), `${fusion}: logits ignore ${key}`).toBeGreaterThan(1e-4);
    }
  };
  it.each(FUSIONS)("%s fusion: the first query and every global block reach the logits", influence);

  it("frozen head, single LT-MHRA, one global block: gradients match", () => {
    const c = tinyConfig({ frozen: true, doubleLmhra: false, layers: 2, returnList: [1], dwReduction: 1.5, heads: 1, globalHeads: 4 });
    const { f, inputs } = gradientCase(c, ["transformer.dec.0.ln_1.weight", "transformer.temporal_cls_token", "transformer.proj.2.weight", "transformer.dpe.0.bias"], 5);
    const res = checkGradients(f, inputs);
    expect(res.worst, res.where).toBeLessThanOrEqual(1);
  }, 30_000);
});
