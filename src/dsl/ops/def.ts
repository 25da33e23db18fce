/**
 * @file What a primitive is: one `OpDef` record with every part a primitive needs. The
 * registry's type (`{ [K in OpName]: OpDef<K> }`) makes a missing op or part a compile error.
 */
import type { DType } from "../dtype.js";
import type { Node } from "../node.js";
import type { AnyTensor } from "../tensor.js";
import type { CpuArray, Precision } from "../host/array.js";
import type { OpName, OpParams } from "./params.js";
import type { Lowering } from "../lowering/lowering.js";

/** How the compiler treats the op when fusing (issue: compiler and WebGPU runtime). */
export type FusionRole = "source" | "elementwise" | "reduce" | "movement" | "contraction";

export interface Abstract {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface CpuContext {
  readonly precision: Precision;
  /** Values of `input` placeholders, by name. */
  readonly inputs: ReadonlyMap<string, CpuArray>;
}

export interface VjpContext<K extends OpName> {
  readonly inputs: readonly AnyTensor[];
  readonly out: AnyTensor;
  readonly params: OpParams[K];
}

/** Cotangent per input; `undefined` where the input gets no gradient (int/bool, or a zero). */
export type VjpResult = readonly (AnyTensor | undefined)[];

export interface OpDef<K extends OpName> {
  readonly name: K;
  readonly role: FusionRole;
  /** Inputs the op takes: a count, or "variadic" (concat). */
  readonly arity: number | "variadic";
  /** Output shape and dtype; throws RuleViolation (via `require`) with a readable reason. */
  shape(inputs: readonly Abstract[], params: OpParams[K]): Abstract;
  /** Reference semantics on the CPU. */
  cpu(inputs: readonly CpuArray[], params: OpParams[K], out: Abstract, ctx: CpuContext): CpuArray;
  /** How the WGSL compiler computes it (an expression, index arithmetic, or a template). */
  readonly lower: Lowering<OpParams[K]>;
  /** Reverse-mode rule, written with wgtensor ops so gradient graphs are ordinary graphs. */
  vjp(cotangent: AnyTensor, ctx: VjpContext<K>): VjpResult;
}

export type Registry = { readonly [K in OpName]: OpDef<K> };
export type { Node };
