/**
 * @file UniFormerV2's parameters. The tree mirrors the official module hierarchy, so a
 * parameter's dotted path *is* its official state-dict key (`transformer.resblocks.3.attn.
 * in_proj_weight`); conv weights are kept in our channels-last layout [Cout, …K, Cin/g] and
 * converted from PyTorch's [Cout, Cin/g, …K] when loaded or saved.
 */
import type { AnyTensor } from "../../dsl/tensor.js";
import type { UniFormerV2Config } from "./config.js";
import { geometry } from "./config.js";

export interface LinearP {
  readonly weight: AnyTensor;
  readonly bias: AnyTensor;
}
export type LayerNormP = LinearP;
export interface AttentionP {
  readonly in_proj_weight: AnyTensor;
  readonly in_proj_bias: AnyTensor;
  readonly out_proj: LinearP;
}
export interface MlpP {
  readonly c_fc: LinearP;
  readonly c_proj: LinearP;
}
export interface BatchNormP extends LinearP {
  readonly running_mean: AnyTensor;
  readonly running_var: AnyTensor;
}
/** pos_embed = [BatchNorm3d, 1×1×1 conv down, depthwise (k,1,1) conv, 1×1×1 conv up]. */
export interface LmhraP {
  readonly pos_embed: readonly [BatchNormP, LinearP, LinearP, LinearP];
}
export interface ResBlockP {
  readonly attn: AttentionP;
  readonly ln_1: LayerNormP;
  readonly mlp: MlpP;
  readonly ln_2: LayerNormP;
  readonly lmhra1?: LmhraP;
  readonly lmhra2?: LmhraP;
}
export interface ExtractorP {
  readonly attn: AttentionP;
  readonly ln_1: LayerNormP;
  readonly ln_2: LayerNormP;
  readonly ln_3: LayerNormP;
  readonly mlp: MlpP;
}
export interface TransformerP {
  readonly resblocks: readonly ResBlockP[];
  readonly temporal_cls_token: AnyTensor;
  readonly dpe: readonly LinearP[];
  readonly dec: readonly ExtractorP[];
  /** proj = [LayerNorm, Dropout (no parameters), Linear]. */
  readonly proj: readonly [LayerNormP, Record<string, never>, LinearP];
  readonly balance?: AnyTensor;
  /** Fusion ablations only (not in released checkpoints): a learnable query per later global block. */
  readonly extra_queries?: readonly AnyTensor[];
  /** `parallel` fusion only: F = Concat(X₁…X_N)·U_F. */
  readonly fusion_proj?: LinearP;
}
export interface UniFormerV2Params {
  readonly conv1: { readonly weight: AnyTensor };
  readonly class_embedding: AnyTensor;
  readonly positional_embedding: AnyTensor;
  readonly ln_pre: LayerNormP;
  readonly transformer: TransformerP;
}

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

/** Build the nested tree from dotted keys (numeric segments become array indices). */
export function treeFromFlat(entries: ReadonlyMap<string, AnyTensor>): UniFormerV2Params {
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
  return root as unknown as UniFormerV2Params;
}

/** Dotted key → tensor, for every tensor in the tree. */
export function flatFromTree(params: UniFormerV2Params): Map<string, AnyTensor> {
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
