/**
 * @file UniFormerV2's parameters. The tree mirrors the official module hierarchy, so a
 * parameter's dotted path *is* its official state-dict key (`transformer.resblocks.3.attn.
 * in_proj_weight`); conv weights are kept in our channels-last layout [Cout, …K, Cin/g] and
 * converted from PyTorch's [Cout, Cin/g, …K] when loaded or saved.
 */
import type { AnyTensor, Tensor } from "../../dsl/tensor.js";
import type { Add, FloorDiv, Mul, ToNum } from "../../dsl/types/arith.js";
import type { StripZeros } from "../../dsl/types/digits.js";
import type { Dim } from "../../dsl/types/shape.js";
import type { UniFormerV2Config } from "./config.js";
import { geometry } from "./config.js";

// ---------------------------------------------------------------- sizes from a config, at the type level

/** `[numerator, denominator]` of a decimal literal: 1.5 → [15, 10], 4 → [4, 1]; `number` stays wide. */
type Fraction<X extends number> = `${X}` extends `${infer I}.${infer F}` ? [ToNum<StripZeros<`${I}${F}`>>, ToNum<`1${Zeros<F>}`>] : [X, 1];
type Zeros<F extends string> = F extends `${string}${infer R}` ? `0${Zeros<R>}` : "";
/** ⌊A / X⌋ for a positive decimal X (dwReduction 1.5: ⌊768 / 1.5⌋ = 512). */
type FloorDivDecimal<A extends number, X extends number> = Fraction<X> extends [infer Num extends number, infer Den extends number] ? FloorDiv<Mul<A, Den>, Num> : number;
/** Math.round(X · A) = ⌊(2·Num·A + Den) / (2·Den)⌋ for X = Num / Den. */
type RoundMulDecimal<X extends number, A extends number> = Fraction<X> extends [infer Num extends number, infer Den extends number]
  ? FloorDiv<Add<Mul<Mul<2, Num>, A>, Den>, Mul<2, Den>>
  : number;

/**
 * Every size a config gives its parameters and activations (`geometry` at the type level):
 * literals for a literal config, `number` for a wide one. Computed once per config type.
 */
export interface Sizes<C extends UniFormerV2Config = UniFormerV2Config> extends SizeTable {
  /** C, the backbone width. */
  readonly width: C["width"];
  /** 3C, the packed q/k/v projection. */
  readonly width3: Mul<3, C["width"]>;
  /** 4C, the backbone FFN's hidden width. */
  readonly backboneHidden: Mul<4, C["width"]>;
  /** ⌊C / dwReduction⌋, LT-MHRA's hidden width. */
  readonly lmhraHidden: FloorDivDecimal<C["width"], C["dwReduction"]>;
  readonly kernelSize: C["kernelSize"];
  readonly patchSize: C["patchSize"];
  readonly inputResolution: C["inputResolution"];
  /** H = W = resolution / patch. */
  readonly grid: FloorDiv<C["inputResolution"], C["patchSize"]>;
  /** L = 1 + H·W tokens per frame (the frame's CLS first). */
  readonly tokens: Add<Mul<FloorDiv<C["inputResolution"], C["patchSize"]>, FloorDiv<C["inputResolution"], C["patchSize"]>>, 1>;
  readonly frames: C["frames"];
  /** T' = T / 2 with temporal downsampling, else T. */
  readonly framesAfterStem: C["temporalDownsample"] extends true ? FloorDiv<C["frames"], 2> : C["temporalDownsample"] extends false ? C["frames"] : number;
  /** The stem's temporal kernel: kernelSize with temporal downsampling, else 1. */
  readonly stemKernel: C["temporalDownsample"] extends true ? C["kernelSize"] : C["temporalDownsample"] extends false ? 1 : number;
  /** D, the global blocks' width (= C). */
  readonly globalDim: C["globalDim"];
  readonly globalDim3: Mul<3, C["globalDim"]>;
  /** round(mlpFactor · D), the global blocks' FFN hidden width. */
  readonly globalHidden: RoundMulDecimal<C["mlpFactor"], C["globalDim"]>;
  /** D · (number of global blocks): the input of `parallel` fusion's projection. */
  readonly fusedDim: Mul<C["globalDim"], C["returnList"]["length"]>;
  readonly numClasses: C["numClasses"];
}

/**
 * `Sizes<C>` as a plain object type: compared field by field, so the params of a literal config
 * are params of the wide config too (the interface's variance in C, measured through its
 * conditional fields, would refuse that).
 */
export type SizesOf<C extends UniFormerV2Config> = Sizes<C> extends infer Z ? { readonly [K in keyof SizeTable]: Z[K & keyof Z] & Dim } : never;

/** The sizes a parameter tree is typed by: literals, `number`, or names (the model's bodies use names). */
export interface SizeTable {
  readonly width: Dim;
  readonly width3: Dim;
  readonly backboneHidden: Dim;
  readonly lmhraHidden: Dim;
  readonly kernelSize: Dim;
  readonly patchSize: Dim;
  readonly inputResolution: Dim;
  readonly grid: Dim;
  readonly tokens: Dim;
  readonly frames: Dim;
  readonly framesAfterStem: Dim;
  readonly stemKernel: Dim;
  readonly globalDim: Dim;
  readonly globalDim3: Dim;
  readonly globalHidden: Dim;
  readonly fusedDim: Dim;
  readonly numClasses: Dim;
}

// ---------------------------------------------------------------- parameter records, typed by size

export interface LinearP<O extends Dim = number, I extends Dim = number> {
  /** [out, in] */
  readonly weight: Tensor<[O, I]>;
  /** [out] */
  readonly bias: Tensor<[O]>;
}
export interface LayerNormP<C extends Dim = number> {
  readonly weight: Tensor<[C]>;
  readonly bias: Tensor<[C]>;
}
/** nn.MultiheadAttention's packed projection: in_proj [3C, C], out_proj [C, C]. */
export interface AttentionP<C extends Dim = number, C3 extends Dim = number> {
  readonly in_proj_weight: Tensor<[C3, C]>;
  readonly in_proj_bias: Tensor<[C3]>;
  readonly out_proj: LinearP<C, C>;
}
/** FFN: c_fc [M, C], c_proj [C, M]. */
export interface MlpP<C extends Dim = number, M extends Dim = number> {
  readonly c_fc: LinearP<M, C>;
  readonly c_proj: LinearP<C, M>;
}
export interface BatchNormP<C extends Dim = number> extends LayerNormP<C> {
  readonly running_mean: Tensor<[C]>;
  readonly running_var: Tensor<[C]>;
}
/** A Conv3d with bias, channels-last weight [Cout, kT, kH, kW, Cin/groups]. */
export interface ConvP<O extends Dim = number, KT extends Dim = number, KH extends Dim = number, KW extends Dim = number, I extends Dim = number> {
  readonly weight: Tensor<[O, KT, KH, KW, I]>;
  readonly bias: Tensor<[O]>;
}
/**
 * pos_embed = [BatchNorm3d(C), 1×1×1 conv C → H, depthwise (k,1,1) conv on H, 1×1×1 conv H → C]
 * with H = ⌊C / dwReduction⌋.
 */
export interface LmhraP<C extends Dim = number, H extends Dim = number, K extends Dim = number> {
  readonly pos_embed: readonly [BatchNormP<C>, ConvP<H, 1, 1, 1, C>, ConvP<H, K, 1, 1, 1>, ConvP<C, 1, 1, 1, H>];
}
/** A Local UniBlock of width C (3C packed attention, M = 4C FFN, LT-MHRA of H channels and kernel K). */
export interface ResBlockP<C extends Dim = number, C3 extends Dim = number, M extends Dim = number, H extends Dim = number, K extends Dim = number> {
  readonly attn: AttentionP<C, C3>;
  readonly ln_1: LayerNormP<C>;
  readonly mlp: MlpP<C, M>;
  readonly ln_2: LayerNormP<C>;
  readonly lmhra1?: LmhraP<C, H, K>;
  readonly lmhra2?: LmhraP<C, H, K>;
}
/** A Global UniBlock of width D (3D packed attention, M = round(mlpFactor·D) FFN). */
export interface ExtractorP<D extends Dim = number, D3 extends Dim = number, M extends Dim = number> {
  readonly attn: AttentionP<D, D3>;
  readonly ln_1: LayerNormP<D>;
  readonly ln_2: LayerNormP<D>;
  readonly ln_3: LayerNormP<D>;
  readonly mlp: MlpP<D, M>;
}
/** The local blocks' parameters for a config. */
export type ResBlockOf<Z extends SizeTable> = ResBlockP<Z["width"], Z["width3"], Z["backboneHidden"], Z["lmhraHidden"], Z["kernelSize"]>;
/** The global blocks' parameters for a config. */
export type ExtractorOf<Z extends SizeTable> = ExtractorP<Z["globalDim"], Z["globalDim3"], Z["globalHidden"]>;
/** The head: proj = [LayerNorm(D), Dropout (no parameters), Linear D → classes]. */
export type HeadP<D extends Dim = number, K extends Dim = number> = readonly [LayerNormP<D>, Record<string, never>, LinearP<K, D>];

export interface TransformerP<Z extends SizeTable = Sizes> {
  readonly resblocks: readonly ResBlockOf<Z>[];
  readonly temporal_cls_token: Tensor<[1, 1, Z["globalDim"]]>;
  /** DPE: depthwise 3×3×3 convs on D channels. */
  readonly dpe: readonly ConvP<Z["globalDim"], 3, 3, 3, 1>[];
  readonly dec: readonly ExtractorOf<Z>[];
  readonly proj: HeadP<Z["globalDim"], Z["numClasses"]>;
  readonly balance?: Tensor<[Z["globalDim"]]>;
  /** Fusion ablations only (not in released checkpoints): a learnable query per later global block. */
  readonly extra_queries?: readonly Tensor<[1, 1, Z["globalDim"]]>[];
  /** `parallel` fusion only: F = Concat(X₁…X_N)·U_F. */
  readonly fusion_proj?: LinearP<Z["globalDim"], Z["fusedDim"]>;
}

declare const configBrand: unique symbol;

/** What of a config decides its parameters (a phantom brand: params of another config are refused). */
export interface ParamKey<C extends UniFormerV2Config = UniFormerV2Config> {
  readonly inputResolution: C["inputResolution"];
  readonly patchSize: C["patchSize"];
  readonly width: C["width"];
  readonly layers: C["layers"];
  readonly temporalDownsample: C["temporalDownsample"];
  readonly kernelSize: C["kernelSize"];
  readonly noLmhra: C["noLmhra"];
  readonly doubleLmhra: C["doubleLmhra"];
  readonly dwReduction: C["dwReduction"];
  readonly globalBlocks: C["returnList"]["length"];
  readonly globalDim: C["globalDim"];
  readonly mlpFactor: C["mlpFactor"];
  readonly numClasses: C["numClasses"];
  readonly frozen: C["frozen"];
  readonly fusion: C["fusion"];
}

/** The parameter tree for sizes `Z` (official names: a dotted path is the official state-dict key). */
export interface ParamTree<Z extends SizeTable = Sizes> {
  /** Patch embedding [C, kT, p, p, 3] (channels-last). */
  readonly conv1: { readonly weight: Tensor<[Z["width"], Z["stemKernel"], Z["patchSize"], Z["patchSize"], 3]> };
  readonly class_embedding: Tensor<[Z["width"]]>;
  /** [L, C], L = 1 + (resolution / patch)². */
  readonly positional_embedding: Tensor<[Z["tokens"], Z["width"]]>;
  readonly ln_pre: LayerNormP<Z["width"]>;
  readonly transformer: TransformerP<Z>;
}

/**
 * UniFormerV2's parameters for config `C`, every tensor with its size from the config
 * (`UniFormerV2Params` alone: any config, `number` sizes). The brand (never present at run
 * time) records the config's parameter-relevant fields, so params of another config are refused.
 */
export type UniFormerV2Params<C extends UniFormerV2Config = UniFormerV2Config> = ParamsFor<SizesOf<C>, ParamKey<C>>;

/** A parameter tree of sizes `Z`, branded with the parameter-relevant fields `K` of its config. */
export interface ParamsFor<Z extends SizeTable, K> extends ParamTree<Z> {
  readonly [configBrand]?: K;
}

/** The parameter-relevant fields of the config `P` was made for. */
export type ParamKeyOf<P> = P extends { readonly [configBrand]?: infer K } ? Exclude<K, undefined> : never;

/** How a parameter is stored in the official checkpoint, and how it is initialised. */
export interface ParamSpec {
  readonly key: string;
  /** Shape in the official (PyTorch) layout. */
  readonly officialShape: readonly number[];
  /** Shape in our layout (differs for conv weights). */
  readonly shape: readonly number[];
  readonly isConvWeight: boolean;
  readonly init: { readonly kind: "normal"; readonly std: number; readonly mean?: number } | { readonly kind: "ones" | "zeros" } | { readonly kind: "uniform"; readonly lo: number; readonly hi: number };
}

/** PyTorch conv weight [Cout, Cin/g, …K] → ours [Cout, …K, Cin/g]. */
export function ourConvShape(official: readonly number[]): number[] {
  return [official[0]!, ...official.slice(2), official[1]!];
}

/**
 * Every parameter (and buffer) the config needs, in official key order. `num_batches_tracked`
 * buffers are not parameters: loading ignores them, saving writes zeros.
 */
export function paramSpecs(c: UniFormerV2Config): ParamSpec[] {
  const g = geometry(c);
  const specs: ParamSpec[] = [];
  const W = c.width;
  const D = c.globalDim;
  const add = (key: string, officialShape: number[], init: ParamSpec["init"], isConvWeight = false) =>
    specs.push({ key, officialShape, shape: isConvWeight ? ourConvShape(officialShape) : officialShape, isConvWeight, init });
  const std = (fanIn: number) => Math.min(Math.max(1 / Math.sqrt(fanIn), 0.02), 0.2);
  const linear = (prefix: string, out: number, inF: number) => {
    add(`${prefix}.weight`, [out, inF], { kind: "normal", std: std(inF) });
    add(`${prefix}.bias`, [out], { kind: "zeros" });
  };
  const layerNorm = (prefix: string, n: number) => {
    add(`${prefix}.weight`, [n], { kind: "ones" });
    add(`${prefix}.bias`, [n], { kind: "zeros" });
  };
  const attention = (prefix: string, n: number) => {
    add(`${prefix}.in_proj_weight`, [3 * n, n], { kind: "normal", std: std(n) });
    add(`${prefix}.in_proj_bias`, [3 * n], { kind: "zeros" });
    linear(`${prefix}.out_proj`, n, n);
  };
  const kt = c.temporalDownsample ? c.kernelSize : 1;
  add("conv1.weight", [W, 3, kt, c.patchSize, c.patchSize], { kind: "normal", std: std(3 * kt * c.patchSize * c.patchSize) }, true);
  add("class_embedding", [W], { kind: "normal", std: W ** -0.5 });
  add("positional_embedding", [g.tokens, W], { kind: "normal", std: W ** -0.5 });
  layerNorm("ln_pre", W);
  for (let i = 0; i < c.layers; i++) {
    const p = `transformer.resblocks.${i}`;
    for (const which of c.noLmhra ? [] : c.doubleLmhra ? ["lmhra1", "lmhra2"] : ["lmhra1"]) {
      const q = `${p}.${which}.pos_embed`;
      layerNorm(`${q}.0`, W);
      add(`${q}.0.running_mean`, [W], { kind: "zeros" });
      add(`${q}.0.running_var`, [W], { kind: "ones" });
      add(`${q}.1.weight`, [g.lmhraHidden, W, 1, 1, 1], { kind: "normal", std: std(W) }, true);
      add(`${q}.1.bias`, [g.lmhraHidden], { kind: "zeros" });
      add(`${q}.2.weight`, [g.lmhraHidden, 1, c.kernelSize, 1, 1], { kind: "normal", std: std(c.kernelSize) }, true);
      add(`${q}.2.bias`, [g.lmhraHidden], { kind: "zeros" });
      // The official code zero-initialises the last conv, so a new LT-MHRA starts as identity.
      add(`${q}.3.weight`, [W, g.lmhraHidden, 1, 1, 1], { kind: "zeros" }, true);
      add(`${q}.3.bias`, [W], { kind: "zeros" });
    }
    attention(`${p}.attn`, W);
    layerNorm(`${p}.ln_1`, W);
    linear(`${p}.mlp.c_fc`, g.backboneHidden, W);
    linear(`${p}.mlp.c_proj`, W, g.backboneHidden);
    layerNorm(`${p}.ln_2`, W);
  }
  add("transformer.temporal_cls_token", [1, 1, D], { kind: "zeros" });
  c.returnList.forEach((_, j) => {
    add(`transformer.dpe.${j}.weight`, [D, 1, 3, 3, 3], { kind: "normal", std: std(27) }, true);
    add(`transformer.dpe.${j}.bias`, [D], { kind: "zeros" });
  });
  c.returnList.forEach((_, j) => {
    const p = `transformer.dec.${j}`;
    attention(`${p}.attn`, D);
    layerNorm(`${p}.ln_1`, D);
    linear(`${p}.mlp.c_fc`, g.globalHidden, D);
    linear(`${p}.mlp.c_proj`, D, g.globalHidden);
    layerNorm(`${p}.ln_2`, D);
    layerNorm(`${p}.ln_3`, D);
  });
  layerNorm("transformer.proj.0", D);
  linear("transformer.proj.2", c.numClasses, D);
  if (!c.frozen) add("transformer.balance", [D], { kind: "zeros" });
  if (c.fusion !== "sequential") {
    c.returnList.slice(1).forEach((_, j) => add(`transformer.extra_queries.${j}`, [1, 1, D], { kind: "normal", std: 0.02 }));
  }
  if (c.fusion === "parallel") linear("transformer.fusion_proj", D, D * c.returnList.length);
  return specs;
}

/** The keys of the official checkpoint's integer buffers (BatchNorm's `num_batches_tracked`). */
export function counterKeys(c: UniFormerV2Config): string[] {
  if (c.noLmhra) return [];
  const which = c.doubleLmhra ? ["lmhra1", "lmhra2"] : ["lmhra1"];
  return Array.from({ length: c.layers }, (_, i) => which.map((w) => `transformer.resblocks.${i}.${w}.pos_embed.0.num_batches_tracked`)).flat();
}

/**
 * Build the nested tree from dotted keys (numeric segments become array indices). `config`
 * only types the result: the keys decide the tree.
 */
export function treeFromFlat<C extends UniFormerV2Config = UniFormerV2Config>(entries: ReadonlyMap<string, AnyTensor>, _config?: C): UniFormerV2Params<C> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    const parts = key.split(".");
    let node: Record<string, unknown> | unknown[] = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(parts[i + 1]!);
      const slot = /^\d+$/.test(part) ? Number(part) : part;
      const container = node as Record<string | number, unknown>;
      if (last) container[slot] = value;
      else {
        container[slot] ??= nextIsIndex ? [] : {};
        node = container[slot] as Record<string, unknown>;
      }
    });
  }
  // Dropout's slot in `proj` has no parameters: keep the position.
  const transformer = root.transformer as { proj?: unknown[] } | undefined;
  if (transformer?.proj && transformer.proj[1] === undefined) transformer.proj[1] = {};
  // The tree's shapes are the keys' (paramSpecs made or checked them): the one cast from a map to the typed tree.
  return root as unknown as UniFormerV2Params<C>;
}

/** Dotted key → tensor, for every tensor in the tree. */
export function flatFromTree(params: UniFormerV2Params<UniFormerV2Config>): Map<string, AnyTensor> {
  const out = new Map<string, AnyTensor>();
  const walk = (node: unknown, prefix: string) => {
    if (node && typeof node === "object" && "node" in node && "shape" in node) {
      out.set(prefix, node as AnyTensor);
      return;
    }
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, prefix ? `${prefix}.${i}` : `${i}`));
    else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) walk(v, prefix ? `${prefix}.${k}` : k);
  };
  walk(params, "");
  return out;
}
