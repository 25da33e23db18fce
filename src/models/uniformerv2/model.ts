/**
 * @file The UniFormerV2 forward pass (the official VisionTransformer), channels-last:
 *
 *   stem:   X⁰ = LN_pre([CLS; Conv3d(V)] + P)                     V [N, T, H, W, 3]
 *   local:  Xⁱ = LocalUniBlockᵢ(Xⁱ⁻¹),  i = 1…layers
 *   global: after each layer r_j in returnList, with X̃ = Xʳʲ + DPE_j on its patch tokens:
 *             sequential      q_j = G_j(q_{j−1}, X̃)            (released; q₀ learnable)
 *             parallel        x_j = G_j(q_j, X̃),   F = [x₁ … x_n]·U_F
 *             hierarchicalKV  q_j = G_j(q̂_j, [q_{j−1}; X̃])
 *             hierarchicalQ   q_j = mean G_j([q_{j−1}; q̂_j], X̃)  (both query tokens pass
 *                             through the block; their mean is the next global token)
 *   head:   Z = (1 − α)·F + α·mean_t CLSₜ(X^last),  α = σ(balance)   (F alone when frozen)
 *           logits = Linear(LN(Z))
 * Dropouts and drop-path are identity here (inference; training adds them). In training with
 * `checkpointBlocks`, each block is a `checkpoint`: the backward pass recomputes it.
 */
import * as core from "../../dsl/core.js";
import * as wg from "../../dsl/api/index.js";
import * as nn from "../../dsl/nn/index.js";
import type { AnyTensor, Tensor } from "../../dsl/tensor.js";
import type { Dim, DType, Shape, ShapeError, ShowDim, ShowShape } from "../../dsl/types/shape.js";
import type { Checked } from "../../dsl/api/checked.js";
import { checkpoint } from "../../dsl/transforms.js";
import { ShapeMismatch } from "../../dsl/errors.js";
import { geometry, type UniFormerV2Config } from "./config.js";
import type { HeadP, ParamKey, ParamKeyOf, ParamTree, Sizes, SizeTable, UniFormerV2Params } from "./params.js";
import { asShape, dims, dpe, forAllSizes, globalBlock, joinTokens, localBlock, splitTokens } from "./blocks.js";
import { linspace, TrainContext, type TrainingOptions } from "./training.js";

export interface ForwardOutput<N extends Dim = Dim, K extends Dim = Dim> {
  /** [N, numClasses] */
  readonly logits: Tensor<[N, K]>;
  /** In training: the updated BatchNorm running statistics, by official key. */
  readonly bnState?: ReadonlyMap<string, AnyTensor>;
  /** With `intermediates`: the fixtures' named tensors, in our layouts (see `officialLayout`). */
  readonly intermediates?: ReadonlyMap<string, AnyTensor>;
}

/**
 * The sizes the model's bodies are type-checked with: names (see blocks.ts). The global width
 * is the backbone's ("C"): `validateConfig` requires globalDim = width.
 */
export interface NamedSizes extends SizeTable {
  readonly width: "C";
  readonly width3: "C3";
  readonly backboneHidden: "M";
  readonly lmhraHidden: "R";
  readonly kernelSize: "K";
  readonly patchSize: "P";
  readonly inputResolution: "Res";
  readonly grid: "G";
  readonly tokens: "L";
  readonly frames: "F";
  readonly framesAfterStem: "T";
  readonly stemKernel: "KT";
  readonly globalDim: "C";
  readonly globalDim3: "C3";
  readonly globalHidden: "GM";
  readonly fusedDim: "CJ";
  readonly numClasses: "Classes";
}

/** A video [N, T, R, R, 3] for sizes `Z`. */
export type VideoOf<N extends Dim, Z extends SizeTable> = Tensor<[N, Z["frames"], Z["inputResolution"], Z["inputResolution"], 3]>;

export interface StemOut<N extends Dim, Z extends SizeTable> {
  /** Conv3d(V): [N, T', G, G, C]. */
  readonly conv1: Tensor<[N, Z["framesAfterStem"], Z["grid"], Z["grid"], Z["width"]]>;
  /** X⁰ = LN_pre([CLS; patches] + P): [N, T', L, C]. */
  readonly x: Tensor<[N, Z["framesAfterStem"], Z["tokens"], Z["width"]]>;
}

/** Stem: conv1 patch embedding (temporal downsampling optional), CLS, positions, LN_pre. */
export type StemFn = <N extends Dim, Z extends SizeTable>(video: VideoOf<N, Z>, p: ParamTree<Z>, c: UniFormerV2Config) => StemOut<N, Z>;

function stemNamed(video: VideoOf<"N", NamedSizes>, p: ParamTree<NamedSizes>, c: UniFormerV2Config): StemOut<"N", NamedSizes> {
  const pad = (c.kernelSize - 1) / 2;
  const conv = wg.conv(video, p.conv1.weight, c.temporalDownsample
    ? { stride: [2, c.patchSize, c.patchSize], padding: [pad, 0, 0] }
    : { stride: [1, c.patchSize, c.patchSize] });
  const [n, t, h, w, width] = conv.shape as [number, number, number, number, number];
  const z = dims({ N: n, T: t, G: h, C: width });
  const conv1 = asShape(conv, [z.N, z.T, z.G, z.G, z.C]); // the conv's output sizes, by name
  const patches = wg.reshape(conv1, [z.N, z.T, h * w, z.C]);
  const cls = wg.broadcastTo(wg.reshape(p.class_embedding, [1, 1, 1, z.C]), [n, t, 1, width]);
  const tokens = wg.add(wg.concat([cls, patches], 2), p.positional_embedding);
  return { conv1, x: nn.layerNorm(tokens, p.ln_pre) };
}
export const stem: StemFn = forAllSizes(stemNamed);
stemNamed satisfies typeof stem<"N", NamedSizes>;

export function checkVideo(video: AnyTensor, c: UniFormerV2Config): void {
  const want = [c.frames, c.inputResolution, c.inputResolution, 3];
  const s = video.shape;
  if (s.length !== 5 || s.slice(1).some((d, i) => d !== want[i])) {
    throw new ShapeMismatch("uniformerv2", `the video must be [N, ${want.join(", ")}] (N, T, H, W, RGB)`, [s]);
  }
  if (video.dtype !== "float32") throw new ShapeMismatch("uniformerv2", `the video must be float32, got ${video.dtype}`, [s]);
}

export interface ForwardOptions {
  readonly intermediates?: boolean;
  /** Train mode: batch-statistics BatchNorm (updated buffers in `bnState`), dropout, drop-path. */
  readonly training?: TrainingOptions;
}

// ---------------------------------------------------------------- the public signature's checks

/** Whether two dims can be the same size: unknown (`number`, `string`) and names agree with anything. */
type Agree<A, B> = number extends A ? true : number extends B ? true : A extends string ? true : B extends string ? true : [A] extends [B] ? true : false;

/** `unknown` when the video fits config `C`, else the error. */
export type VideoRule<V extends Shape, D extends DType, C extends UniFormerV2Config> = number extends V["length"]
  ? VideoDType<V, D>
  : V extends readonly [Dim, infer T, infer H, infer W, infer Ch]
    ? [Agree<T, C["frames"]>, Agree<H, C["inputResolution"]>, Agree<W, C["inputResolution"]>, Agree<Ch, 3>] extends [true, true, true, true]
      ? VideoDType<V, D>
      : ShapeError<`uniformerv2: the video must be [N, ${ShowDim<C["frames"]>}, ${ShowDim<C["inputResolution"]>}, ${ShowDim<C["inputResolution"]>}, 3], got ${ShowShape<V>}`>
    : ShapeError<`uniformerv2: the video must be [N, ${ShowDim<C["frames"]>}, ${ShowDim<C["inputResolution"]>}, ${ShowDim<C["inputResolution"]>}, 3], got ${ShowShape<V>}`>;
/** `true` or the error; never `V` itself, which would make tsc 5.9 infer `V` as the whole tensor type. */
type VideoDType<V extends Shape, D extends DType> = DType extends D ? true : D extends "float32" ? true : ShapeError<`uniformerv2: the video must be float32, got ${D}`>;

/** The parameter-relevant fields in the order a mismatch is reported (the likeliest first). */
type KeyOrder = ["numClasses", "width", "layers", "inputResolution", "patchSize", "globalDim", "globalBlocks", "temporalDownsample", "kernelSize", "noLmhra", "doubleLmhra", "dwReduction", "mlpFactor", "frozen", "fusion"];

/** The first field of {@link KeyOrder} where the params' config and `C` differ (both known), or never. */
type KeyMismatch<PK, CK, Fields extends readonly string[] = KeyOrder> = Fields extends readonly [infer F extends string, ...infer Rest extends readonly string[]]
  ? F extends keyof PK & keyof CK
    ? [Known<PK[F]>, Known<CK[F]>] extends [true, true]
      ? [PK[F]] extends [CK[F]]
        ? [CK[F]] extends [PK[F]]
          ? KeyMismatch<PK, CK, Rest>
          : `${F} ${Show<PK[F]>}, the config has ${Show<CK[F]>}`
        : `${F} ${Show<PK[F]>}, the config has ${Show<CK[F]>}`
      : KeyMismatch<PK, CK, Rest>
    : KeyMismatch<PK, CK, Rest>
  : never;
/** A single literal (not `number`, `string`, `boolean` or a union such as `Fusion`). */
type Known<X> = number extends X ? false : string extends X ? false : IsUnion<X> extends true ? false : true;
type IsUnion<X, All = X> = X extends unknown ? ([All] extends [X] ? false : true) : never;
type Show<X> = X extends string | number | boolean ? `${X}` : "?";

/** `P` when the params were made for a config with `C`'s parameter shapes, else the error. */
export type ParamsRule<P, C extends UniFormerV2Config> = [KeyMismatch<ParamKeyOf<P>, ParamKey<C>>] extends [never]
  ? P
  : ShapeError<`uniformerv2: the params are for another config (${KeyMismatch<ParamKeyOf<P>, ParamKey<C>>})`>;

export type BatchOf<V extends Shape> = V extends readonly [infer N extends Dim, ...Dim[]] ? N : Dim;

/**
 * UniFormerV2 on `video` [N, T, R, R, 3] with the params of `config`: logits [N, numClasses].
 * A video of other frames or resolution, or params made for a config of other shapes, is a
 * compile error (literal configs; a wide `UniFormerV2Config` is checked at run time).
 */
export function uniformerv2<const C extends UniFormerV2Config, P extends UniFormerV2Params, V extends Shape, D extends DType = "float32">(
  params: Checked<ParamsRule<P, NoInfer<C>>, P>,
  video: Checked<VideoRule<V, D, NoInfer<C>>, Tensor<V, D>>,
  config: C,
  options: ForwardOptions = {},
): ForwardOutput<BatchOf<V>, C["numClasses"]> {
  checkVideo(video as AnyTensor, config);
  // The rules above matched the params and the video to `config`; `forward` is typed by sizes.
  return forward<BatchOf<V>, Sizes<C>>(params as never, video as never, config, options);
}

/** The forward pass for sizes `Z` (what `uniformerv2` runs once its arguments are checked). */
export type ForwardFn = <N extends Dim, Z extends SizeTable>(params: ParamTree<Z>, video: VideoOf<N, Z>, c: UniFormerV2Config, options?: ForwardOptions) => ForwardOutput<N, Z["numClasses"]>;

function forwardNamed(params: ParamTree<NamedSizes>, video: VideoOf<"N", NamedSizes>, c: UniFormerV2Config, options: ForwardOptions = {}): ForwardOutput<"N", "Classes"> {
  const train = options.training ? new TrainContext(options.training) : undefined;
  const block = <A extends readonly unknown[], R>(f: (...args: A) => R) => (options.training?.checkpointBlocks ? checkpoint(f) : f);
  const backboneDpr = linspace(c.backboneDropPathRate, c.layers);
  const globalDpr = linspace(c.dropPathRate, c.returnList.length);
  const g = geometry(c);
  const record = new Map<string, AnyTensor>();
  const keep = (name: string, t: AnyTensor) => options.intermediates && record.set(name, t);
  const { conv1, x: x0 } = stem(video, params, c);
  keep("conv1", conv1);
  keep("stem", x0);
  const T = params.transformer;
  const [n, t, l, d] = x0.shape as [number, number, number, number];
  const z = dims({ N: n, C: d, G: g.grid, L: l });
  // broadcastTo's target holds sizes, not names: [n, 1, d] is [N, 1, C].
  const query = (j: number) => asShape(wg.broadcastTo(j === 0 ? T.temporal_cls_token : T.extra_queries![j - 1]!, [n, 1, d]), [z.N, 1, z.C]);

  let x = x0;
  let q = query(0);
  const globals: Tensor<["N", 1, "C"]>[] = [];
  for (let i = 0; i < c.layers; i++) {
    const out = block((input: typeof x0) =>
      localBlock(input, T.resblocks[i]!, {
        heads: c.heads,
        grid: z.G,
        kernelSize: c.kernelSize,
        path: `transformer.resblocks.${i}`,
        dropPath: backboneDpr[i]!,
        ...(train ? { train } : {}),
      }),
    )(x);
    x = out.x;
    if (out.lmhra1) keep(`layer.${i}.lmhra1`, out.lmhra1);
    if (out.lmhra2) keep(`layer.${i}.lmhra2`, out.lmhra2);
    keep(`layer.${i}`, x);
    const j = c.returnList.indexOf(i);
    if (j < 0) continue;
    // DPE on the patch tokens, then all T·L tokens are the global block's keys and values.
    const [cls, patches] = splitTokens(x, z.G);
    const pos = dpe(patches, T.dpe[j]!);
    keep(`dpe.${j}`, pos);
    const tokens = wg.reshape(joinTokens(cls, wg.add(patches, pos), z.L), [z.N, t * l, z.C]); // T·L keys: a product of names, a plain size
    const dec = T.dec[j]!;
    const G = block(<Q extends Dim, S extends Dim>(queries: Tensor<["N", Q, "C"]>, kv: Tensor<["N", S, "C"]>) =>
      globalBlock(queries, kv, dec, c.globalHeads, train ? { ctx: train, dropPath: globalDpr[j]!, mlpDropout: c.mlpDropout[j]! } : undefined),
    );
    switch (c.fusion) {
      case "sequential":
        q = G(q, tokens);
        break;
      case "parallel":
        q = G(query(j), tokens);
        break;
      case "hierarchicalKV":
        q = G(query(j), j === 0 ? tokens : wg.concat([q, tokens], 1));
        break;
      case "hierarchicalQ":
        // Each query token attends only to the tokens, so keeping one slot would drop the
        // previous stage; the mean keeps both.
        q = j === 0 ? G(query(0), tokens) : wg.mean(G(wg.concat([q, query(j)], 1), tokens), 1, true);
        break;
    }
    globals.push(q);
    keep(`global.${j}`, q);
  }
  let f = wg.reshape(q, [z.N, z.C]);
  if (c.fusion === "parallel") f = nn.linear(wg.reshape(wg.concat(globals, 2), [z.N, d * globals.length]), T.fusion_proj!);
  let fused = f;
  if (!c.frozen) {
    const alpha = wg.sigmoid(T.balance!);
    fused = wg.add(wg.mul(wg.sub(1, alpha), f), wg.mul(alpha, meanFrameCls(x)));
  }
  keep("fused", fused);
  const logits = classify(fused, params, c, train);
  keep("logits", logits);
  return {
    logits,
    ...(options.intermediates ? { intermediates: record } : {}),
    ...(train ? { bnState: train.bnState } : {}),
  };
}
const forward: ForwardFn = forAllSizes(forwardNamed);
forwardNamed satisfies typeof forward<"N", NamedSizes>;

/** The frames' CLS tokens of X [N, T, L, C], averaged over time: [N, C]. */
export type MeanFrameClsFn = <N extends Dim, T extends Dim, L extends Dim, C extends Dim>(x: Tensor<[N, T, L, C]>) => Tensor<[N, C]>;

function meanFrameClsNamed(x: Tensor<["N", "T", "L", "C"]>): Tensor<["N", "C"]> {
  const [n, t, , c] = x.shape as [number, number, number, number];
  const z = dims({ N: n, T: t, C: c });
  return wg.mean(wg.reshape(wg.sliceAxis(x, 2, 0, 1), [z.N, z.T, z.C]), 1);
}
export const meanFrameCls: MeanFrameClsFn = forAllSizes(meanFrameClsNamed);
meanFrameClsNamed satisfies typeof meanFrameCls<"N", "T", "L", "C">;

/** The head: logits [N, K] = Linear(Dropout(LN(z))) of z [N, D], dropout in training only. */
export type ClassifyFn = <N extends Dim, D extends Dim, K extends Dim>(
  z: Tensor<[N, D]>,
  params: { readonly transformer: { readonly proj: HeadP<D, K> } },
  c: Pick<UniFormerV2Config, "clsDropout">,
  train?: TrainContext,
) => Tensor<[N, K]>;

function classifyNamed(z: Tensor<["N", "D"]>, params: { readonly transformer: { readonly proj: HeadP<"D", "K"> } }, c: Pick<UniFormerV2Config, "clsDropout">, train?: TrainContext): Tensor<["N", "K"]> {
  const [ln, , head] = params.transformer.proj;
  const normed = nn.layerNorm(z, ln);
  return nn.linear(train ? train.dropout(normed, c.clsDropout) : normed, head);
}
export const classify: ClassifyFn = forAllSizes(classifyNamed);
classifyNamed satisfies typeof classify<"N", "D", "K">;

/**
 * One of our intermediates in the official code's layout (as the fixtures store them):
 * conv1, lmhra and dpe as (N, C, T, H, W); stem as (N·T, L, C); layers as (L, N·T, C);
 * global blocks as (1, N, C).
 */
export function officialLayout(name: string, t: AnyTensor): AnyTensor {
  const s = t.shape;
  if (name === "conv1" || name.endsWith("lmhra1") || name.endsWith("lmhra2") || name.startsWith("dpe.")) return core.permute(t, [0, 4, 1, 2, 3]);
  if (name === "stem") return core.reshape(t, [s[0]! * s[1]!, s[2]!, s[3]!]);
  if (name.startsWith("layer.")) return core.permute(core.reshape(t, [s[0]! * s[1]!, s[2]!, s[3]!]), [1, 0, 2]);
  if (name.startsWith("global.")) return core.permute(t, [1, 0, 2]);
  return t;
}
