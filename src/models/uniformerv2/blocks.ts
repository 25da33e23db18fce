/**
 * @file UniFormerV2's blocks (Li et al., "UniFormerV2", arXiv 2211.09552, §3), channels-last.
 * Backbone tokens are X ∈ [N, T, L, C] with L = 1 + H·W per frame (token 0 is the frame's CLS).
 *
 *   LT-MHRA (local temporal relation):  A(X) = PWConv_up(DWConv_t(PWConv_down(BN(X))))
 *                                        on the patch tokens only, added as a residual
 *   Local UniBlock:   X ← X + A₁(X);  X ← X + MHSA(LN₁ X) per frame;  X ← X + A₂(X);
 *                     X ← X + FFN(LN₂ X),  FFN = Linear ∘ QuickGELU ∘ Linear
 *   DPE:              X_patch ← X_patch + DWConv₃ₓ₃ₓ₃(X_patch)
 *   Global UniBlock:  q ← q + MHCA(LN₁ q, LN₃ X_all);  q ← q + FFN(LN₂ q)
 *
 * Typing. Each block has a generic signature over the sizes it needs (`localBlock<N, T, G, L, C,
 * …>`), so a caller's literal or named dims flow through it. Its body is type-checked once over
 * *named* dims ("N", "T", "L", "C", …): TypeScript defers every shape rule whose operands are
 * type parameters, so a body written over <N, T, L, C> would check nothing (the typed ops even
 * refuse such arguments), whereas names are evaluated exactly: a name agrees only with itself,
 * so adding a [.., "M"] FFN hidden to a [.., "C"] stream, or a [N, T, G, G, C] patch grid to
 * [N, T, L, C] tokens, is a compile error. `forAllSizes` turns the named body into the generic
 * signature (the cast: what holds for arbitrary names holds for every size), and a
 * `satisfies` line checks the named body against that signature instantiated at the names.
 */
import * as wg from "../../dsl/api/index.js";
import * as nn from "../../dsl/nn/index.js";
import type { AnyTensor, Tensor } from "../../dsl/tensor.js";
import type { Dim, DType, Shape } from "../../dsl/types/shape.js";
import type { AttentionP, BatchNormP, ConvP, ExtractorP, LmhraP, MlpP, ResBlockP } from "./params.js";
import type { TrainContext } from "./training.js";

const EPS = 1e-5;

// ---------------------------------------------------------------- the casts, all of them

/**
 * A body type-checked over named dims, as its generic signature `F` (see the file comment: the
 * shape rules cannot be evaluated on type parameters, and a body checked for arbitrary names
 * holds for every instantiation). Each use is followed by a `satisfies` check of the body
 * against `F` at the names.
 */
export function forAllSizes<F>(namedBody: unknown): F {
  return namedBody as F;
}

/**
 * Run-time sizes of named dims: `dims({ N: n, C: c })` is `{ N: "N", C: "C" }` to the types.
 * A named dim in a shape stands for the size bound to it, so a reshape or broadcast target
 * built from these says `["N", "T", "G", "G", "C"]` to the checker and `[2, 8, 14, 14, 768]`
 * to the run time.
 */
export function dims<const Names extends string>(sizes: Readonly<Record<Names, number>>): { readonly [K in Names]: K } {
  return sizes as unknown as { readonly [K in Names]: K };
}

/**
 * `y`, the output of a size-preserving op the types do not follow (convolutions do not track
 * spatial sizes of named dims), typed as `like`'s shape; checked at run time.
 */
export function sameShapeAs<S extends Shape, D extends DType>(y: AnyTensor, like: Tensor<S, D>): Tensor<S, D> {
  if (y.shape.length !== like.shape.length || y.shape.some((d, i) => d !== like.shape[i])) {
    throw new Error(`uniformerv2: internal: [${y.shape.join(", ")}] should be [${like.shape.join(", ")}]`);
  }
  return y as Tensor<S, D>;
}

/** `y` typed as `shape` (sizes from `dims`), where the types lose a size they cannot compute; checked at run time. */
export function asShape<const To extends Shape>(y: Tensor<Shape>, shape: To): Tensor<{ -readonly [K in keyof To]: To[K] }> {
  if (y.shape.length !== shape.length || y.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`uniformerv2: internal: [${y.shape.join(", ")}] should be [${shape.join(", ")}]`);
  }
  return y as Tensor<never>;
}

// ---------------------------------------------------------------- blocks

/** Official nn.MultiheadAttention layout → the composite's parameter names. */
function mha<C extends Dim, C3 extends Dim>(p: AttentionP<C, C3>) {
  return { inProjWeight: p.in_proj_weight, inProjBias: p.in_proj_bias, outProj: p.out_proj };
}

/** FFN over the last dim: Linear C → M, QuickGELU, (Dropout, global blocks only), Linear M → C. */
export type FfnFn = <Lead extends Dim[], C extends Dim, M extends Dim>(
  x: Tensor<[...Lead, C]>,
  p: MlpP<C, M>,
  dropout?: (h: Tensor<[...Lead, M]>) => Tensor<[...Lead, M]>,
) => Tensor<[...Lead, C]>;

function ffnNamed(x: Tensor<["B", "C"]>, p: MlpP<"C", "M">, dropout?: (h: Tensor<["B", "M"]>) => Tensor<["B", "M"]>): Tensor<["B", "C"]> {
  const h = nn.quickGelu(nn.linear(x, p.c_fc));
  return nn.linear(dropout ? dropout(h) : h, p.c_proj);
}
export const ffn: FfnFn = forAllSizes(ffnNamed);
ffnNamed satisfies typeof ffn<["B"], "C", "M">;

/**
 * BatchNorm3d over the channel (last) dim: running statistics in eval mode (as the released
 * models run); batch statistics in training, recording the updated buffers under `path`.
 */
function batchNorm(x: Tensor<["N", "T", "H", "W", "C"]>, p: BatchNormP<"C">, train: TrainContext | undefined, path: string): Tensor<["N", "T", "H", "W", "C"]> {
  const out = nn.batchNorm(
    x,
    { weight: p.weight, bias: p.bias },
    { runningMean: p.running_mean, runningVar: p.running_var },
    { training: train !== undefined, eps: EPS, momentum: train?.options.bnMomentum ?? 0.1 },
  );
  if (train) {
    train.bnState.set(`${path}.running_mean`, out.state.runningMean);
    train.bnState.set(`${path}.running_var`, out.state.runningVar);
  }
  return out.y;
}

/** LT-MHRA's branch on patch tokens [N, T, H, W, C] (hidden R = ⌊C / dwReduction⌋): the delta the block adds. */
export type LmhraFn = <N extends Dim, T extends Dim, H extends Dim, W extends Dim, C extends Dim, R extends Dim, K extends Dim>(
  patches: Tensor<[N, T, H, W, C]>,
  p: LmhraP<C, R, K>,
  kernelSize: number,
  train?: TrainContext,
  path?: string,
) => Tensor<[N, T, H, W, C]>;

function lmhraNamed(patches: Tensor<["N", "T", "H", "W", "C"]>, p: LmhraP<"C", "R", "K">, kernelSize: number, train?: TrainContext, path = "lmhra"): Tensor<["N", "T", "H", "W", "C"]> {
  const [bn, down, temporal, up] = p.pos_embed;
  const hidden = nn.conv3d(batchNorm(patches, bn, train, `${path}.pos_embed.0`), down); // [N, T, H, W, R]
  const mixed = nn.conv3d(hidden, temporal, { padding: [(kernelSize - 1) / 2, 0, 0], groups: temporal.weight.shape[0]! }); // depthwise over time
  // 1×1×1 convs and a (k, 1, 1) conv padded by (k − 1)/2: the sizes are the input's.
  return sameShapeAs(nn.conv3d(mixed, up), patches);
}
export const lmhra: LmhraFn = forAllSizes(lmhraNamed);
lmhraNamed satisfies typeof lmhra<"N", "T", "H", "W", "C", "R", "K">;

/** X [N, T, L, C] → (CLS [N, T, 1, C], patches [N, T, G, G, C]), L = 1 + G². */
export type SplitTokensFn = <N extends Dim, T extends Dim, L extends Dim, C extends Dim, G extends Dim>(
  x: Tensor<[N, T, L, C]>,
  grid: G,
) => [Tensor<[N, T, 1, C]>, Tensor<[N, T, G, G, C]>];

function splitTokensNamed(x: Tensor<["N", "T", "L", "C"]>, grid: "G"): [Tensor<["N", "T", 1, "C"]>, Tensor<["N", "T", "G", "G", "C"]>] {
  const [n, t, l, c] = x.shape as [number, number, number, number];
  const z = dims({ N: n, T: t, C: c });
  const cls = wg.sliceAxis(x, 2, 0, 1);
  const patches = wg.reshape(wg.sliceAxis(x, 2, 1, l), [z.N, z.T, grid, grid, z.C]);
  return [cls, patches];
}
export const splitTokens: SplitTokensFn = forAllSizes(splitTokensNamed);
splitTokensNamed satisfies typeof splitTokens<"N", "T", "L", "C", "G">;

/** (CLS [N, T, 1, C], patches [N, T, G, G, C]) → X [N, T, L, C]. */
export type JoinTokensFn = <N extends Dim, T extends Dim, G extends Dim, C extends Dim, L extends Dim>(
  cls: Tensor<[N, T, 1, C]>,
  patches: Tensor<[N, T, G, G, C]>,
  tokens: L,
) => Tensor<[N, T, L, C]>;

function joinTokensNamed(cls: Tensor<["N", "T", 1, "C"]>, patches: Tensor<["N", "T", "G", "G", "C"]>, tokens: "L"): Tensor<["N", "T", "L", "C"]> {
  const [n, t, h, w, c] = patches.shape as [number, number, number, number, number];
  const z = dims({ N: n, T: t, C: c });
  const hw: number = h * w; // G·G: a product of names is no name, so a plain size
  // 1 + G·G along the token axis is L (the types do not add names).
  return asShape(wg.concat([cls, wg.reshape(patches, [z.N, z.T, hw, z.C])], 2), [z.N, z.T, tokens, z.C]);
}
export const joinTokens: JoinTokensFn = forAllSizes(joinTokensNamed);
joinTokensNamed satisfies typeof joinTokens<"N", "T", "G", "C", "L">;

export interface LocalBlockOut<N extends Dim = Dim, T extends Dim = Dim, L extends Dim = Dim, C extends Dim = Dim, G extends Dim = Dim> {
  readonly x: Tensor<[N, T, L, C]>;
  readonly lmhra1?: Tensor<[N, T, G, G, C]>;
  readonly lmhra2?: Tensor<[N, T, G, G, C]>;
}

/** Multi-head self-attention within each frame: X [N, T, L, C] as N·T sequences of L tokens. */
function frameAttention(x: Tensor<["N", "T", "L", "C"]>, p: AttentionP<"C", "C3">, heads: number): Tensor<["N", "T", "L", "C"]> {
  const [n, t, l, c] = x.shape as [number, number, number, number];
  const z = dims({ N: n, T: t, L: l, C: c });
  const frames = wg.reshape(x, [n * t, z.L, z.C]); // N·T sequences (a product of names: a plain size)
  return wg.reshape(nn.selfAttention(frames, mha(p), { numHeads: heads }), [z.N, z.T, z.L, z.C]);
}

export interface LocalBlockOptions<G extends Dim = number> {
  readonly heads: number;
  /** H = W = resolution / patch: L = 1 + G². */
  readonly grid: G;
  readonly kernelSize: number;
  /** Training: batch-statistics BatchNorm, drop-path at `dropPath`. */
  readonly train?: TrainContext;
  readonly dropPath?: number;
  /** Official key prefix of the block (for recorded BatchNorm buffers). */
  readonly path?: string;
}

/** The Local UniBlock (the official ResidualAttentionBlock) on X [N, T, L, C], L = 1 + G². */
export type LocalBlockFn = <N extends Dim, T extends Dim, L extends Dim, C extends Dim, G extends Dim, C3 extends Dim, M extends Dim, R extends Dim, K extends Dim>(
  x: Tensor<[N, T, L, C]>,
  p: ResBlockP<C, C3, M, R, K>,
  o: LocalBlockOptions<G>,
) => LocalBlockOut<N, T, L, C, G>;

function localBlockNamed(x0: Tensor<["N", "T", "L", "C"]>, p: ResBlockP<"C", "C3", "M", "R", "K">, o: LocalBlockOptions<"G">): LocalBlockOut<"N", "T", "L", "C", "G"> {
  const drop = <S extends Shape>(t: Tensor<S>) => (o.train ? o.train.dropPath(t, o.dropPath ?? 0) : t);
  const path = o.path ?? "block";
  const tokens = dims({ L: x0.shape[2]! }).L;
  let x = x0;
  let delta1: Tensor<["N", "T", "G", "G", "C"]> | undefined;
  let delta2: Tensor<["N", "T", "G", "G", "C"]> | undefined;
  if (p.lmhra1) {
    const [cls, patches] = splitTokens(x, o.grid);
    delta1 = lmhra(patches, p.lmhra1, o.kernelSize, o.train, `${path}.lmhra1`);
    x = joinTokens(cls, wg.add(patches, drop(delta1)), tokens);
  }
  x = wg.add(x, drop(frameAttention(nn.layerNorm(x, p.ln_1), p.attn, o.heads)));
  if (p.lmhra2) {
    const [cls, patches] = splitTokens(x, o.grid);
    delta2 = lmhra(patches, p.lmhra2, o.kernelSize, o.train, `${path}.lmhra2`);
    x = joinTokens(cls, wg.add(patches, drop(delta2)), tokens);
  }
  x = wg.add(x, drop(ffn(nn.layerNorm(x, p.ln_2), p.mlp)));
  return { x, ...(delta1 ? { lmhra1: delta1 } : {}), ...(delta2 ? { lmhra2: delta2 } : {}) };
}
export const localBlock: LocalBlockFn = forAllSizes(localBlockNamed);
localBlockNamed satisfies typeof localBlock<"N", "T", "L", "C", "G", "C3", "M", "R", "K">;

/** DPE: a depthwise 3×3×3 conv with bias on the patch tokens [N, T, H, W, D]. */
export type DpeFn = <N extends Dim, T extends Dim, H extends Dim, W extends Dim, D extends Dim>(patches: Tensor<[N, T, H, W, D]>, p: ConvP<D, 3, 3, 3, 1>) => Tensor<[N, T, H, W, D]>;

function dpeNamed(patches: Tensor<["N", "T", "H", "W", "D"]>, p: ConvP<"D", 3, 3, 3, 1>): Tensor<["N", "T", "H", "W", "D"]> {
  // padding 1 with a 3×3×3 kernel: the sizes are the input's.
  return sameShapeAs(nn.conv3d(patches, p, { padding: 1, groups: patches.shape[4]! }), patches);
}
export const dpe: DpeFn = forAllSizes(dpeNamed);
dpeNamed satisfies typeof dpe<"N", "T", "H", "W", "D">;

export interface GlobalTrain {
  readonly ctx: TrainContext;
  readonly dropPath: number;
  readonly mlpDropout: number;
}

/** The Global UniBlock (the official Extractor): queries [N, Q, D] attend to tokens [N, S, D]. */
export type GlobalBlockFn = <N extends Dim, Q extends Dim, S extends Dim, D extends Dim, D3 extends Dim, M extends Dim>(
  q0: Tensor<[N, Q, D]>,
  tokens: Tensor<[N, S, D]>,
  p: ExtractorP<D, D3, M>,
  heads: number,
  train?: GlobalTrain,
) => Tensor<[N, Q, D]>;

function globalBlockNamed(q0: Tensor<["N", "Q", "D"]>, tokens: Tensor<["N", "S", "D"]>, p: ExtractorP<"D", "D3", "M">, heads: number, train?: GlobalTrain): Tensor<["N", "Q", "D"]> {
  const drop = <S extends Shape>(t: Tensor<S>) => (train ? train.ctx.dropPath(t, train.dropPath) : t);
  const kv = nn.layerNorm(tokens, p.ln_3);
  const q = wg.add(q0, drop(nn.multiheadAttention(nn.layerNorm(q0, p.ln_1), kv, kv, mha(p.attn), { numHeads: heads })));
  const dropout = train ? (h: Tensor<["N", "Q", "M"]>) => train.ctx.dropout(h, train.mlpDropout) : undefined;
  return wg.add(q, drop(ffn(nn.layerNorm(q, p.ln_2), p.mlp, dropout)));
}
export const globalBlock: GlobalBlockFn = forAllSizes(globalBlockNamed);
globalBlockNamed satisfies typeof globalBlock<"N", "Q", "S", "D", "D3", "M">;
