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
 */
import * as core from "../../dsl/core.js";
import * as nn from "../../dsl/nn/index.js";
import type { AnyTensor } from "../../dsl/tensor.js";
import type { AttentionP, BatchNormP, ExtractorP, LinearP, LmhraP, MlpP, ResBlockP } from "./params.js";
import type { TrainContext } from "./training.js";

const EPS = 1e-5;

/** Official nn.MultiheadAttention layout → the composite's parameter names. */
function mha(p: AttentionP): nn.MultiheadAttentionParams {
  return { inProjWeight: p.in_proj_weight, inProjBias: p.in_proj_bias, outProj: p.out_proj };
}

/** FFN: Linear → QuickGELU → (Dropout, global blocks only) → Linear. */
export function ffn(x: AnyTensor, p: MlpP, dropout?: (h: AnyTensor) => AnyTensor): AnyTensor {
  const h = nn.quickGelu(nn.linear(x, p.c_fc));
  return nn.linear(dropout ? dropout(h) : h, p.c_proj);
}

/**
 * BatchNorm3d over the channel (last) dim: running statistics in eval mode (as the released
 * models run); batch statistics in training, recording the updated buffers under `path`.
 */
function batchNorm(x: AnyTensor, p: BatchNormP, train: TrainContext | undefined, path: string): AnyTensor {
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

/** LT-MHRA's branch on patch tokens [N, T, H, W, C]: the delta the block adds. */
export function lmhra(patches: AnyTensor, p: LmhraP, kernelSize: number, train?: TrainContext, path = "lmhra"): AnyTensor {
  const [bn, down, temporal, up] = p.pos_embed;
  const hidden = nn.conv3d(batchNorm(patches, bn, train, `${path}.pos_embed.0`), down);
  const mixed = nn.conv3d(hidden, temporal, { padding: [(kernelSize - 1) / 2, 0, 0], groups: temporal.weight.shape[0]! });
  return nn.conv3d(mixed, up);
}

/** X [N, T, L, C] → (CLS [N, T, 1, C], patches [N, T, H, W, C]). */
export function splitTokens(x: AnyTensor, grid: number): [AnyTensor, AnyTensor] {
  const [n, t, l, c] = x.shape as [number, number, number, number];
  const cls = core.sliceAxis(x, 2, 0, 1);
  const patches = core.reshape(core.sliceAxis(x, 2, 1, l), [n, t, grid, grid, c]);
  return [cls, patches];
}

export function joinTokens(cls: AnyTensor, patches: AnyTensor): AnyTensor {
  const [n, t, h, w, c] = patches.shape as [number, number, number, number, number];
  return core.concat([cls, core.reshape(patches, [n, t, h * w, c])], 2);
}

export interface LocalBlockOut {
  readonly x: AnyTensor;
  readonly lmhra1?: AnyTensor;
  readonly lmhra2?: AnyTensor;
}

/** Multi-head self-attention within each frame: X [N, T, L, C]. */
function frameAttention(x: AnyTensor, p: AttentionP, heads: number): AnyTensor {
  const [n, t, l, c] = x.shape as [number, number, number, number];
  const frames = core.reshape(x, [n * t, l, c]);
  return core.reshape(nn.selfAttention(frames, mha(p), { numHeads: heads }), [n, t, l, c]);
}

export interface LocalBlockOptions {
  readonly heads: number;
  readonly grid: number;
  readonly kernelSize: number;
  /** Training: batch-statistics BatchNorm, drop-path at `dropPath`. */
  readonly train?: TrainContext;
  readonly dropPath?: number;
  /** Official key prefix of the block (for recorded BatchNorm buffers). */
  readonly path?: string;
}

/** The Local UniBlock (the official ResidualAttentionBlock). */
export function localBlock(x0: AnyTensor, p: ResBlockP, o: LocalBlockOptions): LocalBlockOut {
  const drop = (t: AnyTensor) => (o.train ? o.train.dropPath(t, o.dropPath ?? 0) : t);
  const path = o.path ?? "block";
  let x = x0;
  let delta1: AnyTensor | undefined;
  let delta2: AnyTensor | undefined;
  if (p.lmhra1) {
    const [cls, patches] = splitTokens(x, o.grid);
    delta1 = lmhra(patches, p.lmhra1, o.kernelSize, o.train, `${path}.lmhra1`);
    x = joinTokens(cls, core.add(patches, drop(delta1)));
  }
  x = core.add(x, drop(frameAttention(nn.layerNorm(x, p.ln_1), p.attn, o.heads)));
  if (p.lmhra2) {
    const [cls, patches] = splitTokens(x, o.grid);
    delta2 = lmhra(patches, p.lmhra2, o.kernelSize, o.train, `${path}.lmhra2`);
    x = joinTokens(cls, core.add(patches, drop(delta2)));
  }
  x = core.add(x, drop(ffn(nn.layerNorm(x, p.ln_2), p.mlp)));
  return { x, ...(delta1 ? { lmhra1: delta1 } : {}), ...(delta2 ? { lmhra2: delta2 } : {}) };
}

/** DPE: a depthwise 3×3×3 conv with bias on the patch tokens [N, T, H, W, C]. */
export function dpe(patches: AnyTensor, p: LinearP): AnyTensor {
  return nn.conv3d(patches, p, { padding: 1, groups: patches.shape[4]! });
}

/** The Global UniBlock (the official Extractor): queries [N, Q, C] attend to tokens [N, K, C]. */
export function globalBlock(
  q0: AnyTensor,
  tokens: AnyTensor,
  p: ExtractorP,
  heads: number,
  train?: { readonly ctx: TrainContext; readonly dropPath: number; readonly mlpDropout: number },
): AnyTensor {
  const drop = (t: AnyTensor) => (train ? train.ctx.dropPath(t, train.dropPath) : t);
  const kv = nn.layerNorm(tokens, p.ln_3);
  const q = core.add(q0, drop(nn.multiheadAttention(nn.layerNorm(q0, p.ln_1), kv, kv, mha(p.attn), { numHeads: heads })));
  return core.add(q, drop(ffn(nn.layerNorm(q, p.ln_2), p.mlp, train ? (h) => train.ctx.dropout(h, train.mlpDropout) : undefined)));
}
