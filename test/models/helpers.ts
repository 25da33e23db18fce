/**
 * @file Shared helpers for the UniFormerV2 model tests: tiny configs, random (non-identity)
 * parameters, the config ↔ official-constructor-arguments mapping, fixture paths, temp dirs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import * as core from "../../src/dsl/core.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { paramSpecs, treeFromFlat, type Fusion, type OfficialArgs, type UniFormerV2Config, type UniFormerV2Params } from "../../src/models/uniformerv2/index.js";

export const FUSIONS: readonly Fusion[] = ["sequential", "parallel", "hierarchicalKV", "hierarchicalQ"];

export const fixtureDir = (name: "A" | "C"): string => new URL(`../fixtures/uniformerv2/${name}/`, import.meta.url).pathname;

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(prefix = "wgt-uv2-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The smallest sensible config, overridable. */
export function tinyConfig(over: Partial<UniFormerV2Config> = {}): UniFormerV2Config {
  const base: UniFormerV2Config = {
    inputResolution: 16,
    patchSize: 8,
    width: 8,
    layers: 2,
    heads: 2,
    frames: 2,
    temporalDownsample: false,
    kernelSize: 3,
    noLmhra: false,
    doubleLmhra: true,
    dwReduction: 2,
    returnList: [0, 1],
    globalDim: 8,
    globalHeads: 2,
    mlpFactor: 2,
    mlpDropout: [0, 0],
    clsDropout: 0,
    dropPathRate: 0,
    backboneDropPathRate: 0,
    numClasses: 3,
    frozen: false,
    fusion: "sequential",
  };
  const c = { ...base, ...over };
  const width = over.width ?? c.width;
  return { ...c, globalDim: over.globalDim ?? width, mlpDropout: over.mlpDropout ?? c.returnList.map(() => 0) };
}

/** Random valid tiny configs (the ranges of the brief). */
export const validConfigArb: fc.Arbitrary<UniFormerV2Config> = fc
  .record({
    patchSize: fc.constantFrom(8, 16),
    gridPick: fc.integer({ min: 0, max: 2 }),
    heads: fc.integer({ min: 1, max: 4 }),
    widthPick: fc.integer({ min: 0, max: 100 }),
    globalHeadsPick: fc.integer({ min: 0, max: 100 }),
    layers: fc.integer({ min: 1, max: 3 }),
    temporalDownsample: fc.boolean(),
    framesPick: fc.integer({ min: 0, max: 2 }),
    noLmhra: fc.boolean(),
    doubleLmhra: fc.boolean(),
    dwReduction: fc.constantFrom(1.5, 2),
    kernelSize: fc.constantFrom(3, 3, 1, 5),
    returnMask: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    returnForce: fc.integer({ min: 0, max: 2 }),
    mlpFactor: fc.integer({ min: 1, max: 4 }),
    dropout: fc.double({ min: 0, max: 0.9, noNaN: true }),
    numClasses: fc.integer({ min: 2, max: 6 }),
    frozen: fc.boolean(),
    fusion: fc.constantFrom(...FUSIONS),
  })
  .map((r): UniFormerV2Config => {
    // resolution in 16…32 divisible by the patch: 8 → 16, 24, 32; 16 → 16, 32.
    const resolutions = r.patchSize === 8 ? [16, 24, 32] : [16, 32];
    const inputResolution = resolutions[r.gridPick % resolutions.length]!;
    // width in 8…24 divisible by heads.
    const widths = Array.from({ length: 17 }, (_, i) => 8 + i).filter((w) => w % r.heads === 0);
    const width = widths[r.widthPick % widths.length]!;
    const globalHeadsChoices = [1, 2, 3, 4].filter((h) => width % h === 0);
    const globalHeads = globalHeadsChoices[r.globalHeadsPick % globalHeadsChoices.length]!;
    const frameChoices = r.temporalDownsample ? [2, 4] : [2, 3, 4];
    const frames = frameChoices[r.framesPick % frameChoices.length]!;
    let returnList = Array.from({ length: r.layers }, (_, i) => i).filter((i) => r.returnMask[i]);
    if (returnList.length === 0) returnList = [r.returnForce % r.layers];
    return {
      inputResolution,
      patchSize: r.patchSize,
      width,
      layers: r.layers,
      heads: r.heads,
      frames,
      temporalDownsample: r.temporalDownsample,
      kernelSize: r.kernelSize,
      noLmhra: r.noLmhra,
      doubleLmhra: r.doubleLmhra,
      dwReduction: r.dwReduction,
      returnList,
      globalDim: width,
      globalHeads,
      mlpFactor: r.mlpFactor,
      mlpDropout: returnList.map(() => r.dropout),
      clsDropout: r.dropout,
      dropPathRate: 0,
      backboneDropPathRate: 0,
      numClasses: r.numClasses,
      frozen: r.frozen,
      fusion: r.fusion,
    };
  });

/** The official constructor's keyword arguments for a config (inverse of fromOfficialArgs). */
export function toOfficialArgs(c: UniFormerV2Config): OfficialArgs {
  return {
    input_resolution: c.inputResolution,
    patch_size: c.patchSize,
    width: c.width,
    layers: c.layers,
    heads: c.heads,
    t_size: c.frames,
    kernel_size: c.kernelSize,
    dw_reduction: c.dwReduction,
    temporal_downsample: c.temporalDownsample,
    no_lmhra: c.noLmhra,
    double_lmhra: c.doubleLmhra,
    return_list: c.returnList,
    n_layers: c.returnList.length,
    n_dim: c.globalDim,
    n_head: c.globalHeads,
    mlp_factor: c.mlpFactor,
    drop_path_rate: c.dropPathRate,
    backbone_drop_path_rate: c.backboneDropPathRate,
    mlp_dropout: c.mlpDropout,
    cls_dropout: c.clsDropout,
    num_classes: c.numClasses,
    frozen: c.frozen,
  };
}

/** mulberry32 → standard normals (Box–Muller). */
export function normals(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/**
 * Random parameters in the spirit of the fixtures' randomisation: every tensor random (so no
 * branch is an identity: the zero-initialised LT-MHRA conv, query and balance all carry values),
 * LayerNorm/BatchNorm weights 1 + N(0, 0.1), running variances in [0.5, 2).
 */
export function randomParams(c: UniFormerV2Config, seed: number): UniFormerV2Params {
  const next = normals(seed);
  const entries = new Map<string, AnyTensor>();
  for (const spec of paramSpecs(c)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    const isNormWeight = spec.init.kind === "ones" && !spec.key.endsWith("running_var");
    for (let i = 0; i < n; i++) {
      const z = next();
      if (spec.key.endsWith("running_var")) values[i] = 0.5 + 1.5 * Math.abs(Math.tanh(z));
      else if (isNormWeight) values[i] = 1 + 0.1 * z;
      else if (spec.init.kind === "normal") values[i] = z * Math.max(spec.init.std, 0.05);
      else values[i] = 0.2 * z;
    }
    entries.set(spec.key, core.constant(values, spec.shape, "float32"));
  }
  return treeFromFlat(entries);
}

/** A random video [N, T, H, W, 3] for a config. */
export function randomVideo(c: UniFormerV2Config, n: number, seed: number): AnyTensor {
  const next = normals(seed);
  const shape = [n, c.frames, c.inputResolution, c.inputResolution, 3];
  const size = shape.reduce((a, b) => a * b, 1);
  return core.constant(Float32Array.from({ length: size }, () => next()), shape, "float32");
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

export const values = (t: AnyTensor): Float32Array => Float32Array.from(data(t));
