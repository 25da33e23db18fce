/**
 * @file Optimizers as pure functions of pytrees, so an update compiles into the same program as
 * the loss and its gradient. The step count and learning rate are tensors (program inputs), so
 * one compiled step serves every iteration. Semantics follow PyTorch:
 *   SGD:    g ← g + λp;  b ← μb + (1 − τ)g (b₁ = g);  p ← p − η(g + μb if nesterov else b)
 *   AdamW:  p ← p(1 − ηλ);  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
 *           p ← p − η·(m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 *   clipGradNorm: g ← g · min(1, c / (‖g‖₂ + 10⁻⁶)) over all leaves together
 *   warmupCosine: η(t) = η₀·(t + 1)/w for t < w, then η_min + ½(η₀ − η_min)(1 + cos(π(t − w)/(T − w)))
 */
import * as core from "../dsl/core.js";
import type { AnyTensor } from "../dsl/tensor.js";
import { flatten, treeMap } from "../dsl/tree.js";

/** Apply `f` to matching leaves of trees with the same structure. */
function zipMap<T>(trees: readonly T[], f: (leaves: AnyTensor[]) => AnyTensor): T {
  const flat = trees.map((t) => flatten(t));
  const first = flat[0]!;
  for (const other of flat.slice(1)) {
    if (other.def.key !== first.def.key) throw new Error("optimizer: parameters, gradients and state must have the same structure");
  }
  return first.def.rebuild(first.leaves.map((_, i) => f(flat.map((x) => x.leaves[i]!)))) as T;
}

export interface SgdOptions {
  readonly momentum?: number;
  readonly dampening?: number;
  readonly weightDecay?: number;
  readonly nesterov?: boolean;
}

export interface SgdState<P> {
  readonly momentum: P;
  /** 0 before the first step (the first buffer is the gradient itself, as in PyTorch). */
  readonly started: AnyTensor;
}

export function sgdInit<P>(params: P): SgdState<P> {
  return { momentum: treeMap(params, (p) => core.zerosLike(p)), started: core.full([], 0) };
}

export function sgdUpdate<P>(params: P, grads: P, state: SgdState<P>, lr: AnyTensor | number, o: SgdOptions = {}): { params: P; state: SgdState<P> } {
  const mu = o.momentum ?? 0;
  const tau = o.dampening ?? 0;
  const wd = o.weightDecay ?? 0;
  const g = wd === 0 ? grads : zipMap([grads, params], ([gi, pi]) => core.add(gi!, core.mul(pi!, wd)));
  if (mu === 0) return { params: zipMap([params, g], ([p, gi]) => core.sub(p!, core.mul(gi!, lr))), state };
  const buf = zipMap([state.momentum, g], ([b, gi]) =>
    core.where(core.equal(state.started, 0), gi!, core.add(core.mul(b!, mu), core.mul(gi!, 1 - tau))),
  );
  const step = o.nesterov ? zipMap([g, buf], ([gi, b]) => core.add(gi!, core.mul(b!, mu))) : buf;
  return {
    params: zipMap([params, step], ([p, s]) => core.sub(p!, core.mul(s!, lr))),
    state: { momentum: buf, started: core.full([], 1) },
  };
}

export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
}

export interface AdamWState<P> {
  readonly m: P;
  readonly v: P;
  /** Steps taken so far (float32 scalar). */
  readonly step: AnyTensor;
}

export function adamwInit<P>(params: P): AdamWState<P> {
  return { m: treeMap(params, (p) => core.zerosLike(p)), v: treeMap(params, (p) => core.zerosLike(p)), step: core.full([], 0) };
}

export function adamwUpdate<P>(params: P, grads: P, state: AdamWState<P>, lr: AnyTensor | number, o: AdamWOptions = {}): { params: P; state: AdamWState<P> } {
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? 0.01;
  const t = core.add(state.step, 1);
  const c1 = core.sub(1, core.pow(core.full([], b1), t));
  const c2 = core.sub(1, core.pow(core.full([], b2), t));
  const m = zipMap([state.m, grads], ([mi, g]) => core.add(core.mul(mi!, b1), core.mul(g!, 1 - b1)));
  const v = zipMap([state.v, grads], ([vi, g]) => core.add(core.mul(vi!, b2), core.mul(core.square(g!), 1 - b2)));
  const next = zipMap([params, m, v], ([p, mi, vi]) => {
    const decayed = wd === 0 ? p! : core.mul(p!, core.sub(1, core.mul(lr, wd)));
    const update = core.div(core.div(mi!, c1), core.add(core.sqrt(core.div(vi!, c2)), eps));
    return core.sub(decayed, core.mul(update, lr));
  });
  return { params: next, state: { m, v, step: t } };
}

/** Scale all gradients together so their global L2 norm is at most `maxNorm`; also returns the norm. */
export function clipGradNorm<P>(grads: P, maxNorm: number): { grads: P; norm: AnyTensor } {
  const leaves = flatten(grads).leaves;
  const norm = core.sqrt(leaves.map((g) => core.sum(core.square(g))).reduce((a, b) => core.add(a, b)));
  const scale = core.minimum(core.div(maxNorm, core.add(norm, 1e-6)), 1);
  return { grads: treeMap(grads, (g) => core.mul(g, scale)), norm };
}

export interface WarmupCosine {
  readonly base: number;
  readonly warmup: number;
  readonly total: number;
  readonly min?: number;
}

/** The learning rate at step t (0-based), computed on the host. */
export function warmupCosine(t: number, s: WarmupCosine): number {
  const min = s.min ?? 0;
  if (t < s.warmup) return (s.base * (t + 1)) / s.warmup;
  const progress = Math.min(1, (t - s.warmup) / Math.max(1, s.total - s.warmup));
  return min + 0.5 * (s.base - min) * (1 + Math.cos(Math.PI * progress));
}
