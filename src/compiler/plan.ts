/**
 * @file What the schedule hands codegen: one `KernelPlan` per kernel, a union by kernel kind,
 * each with the buffers it reads (its bindings besides the output) and what it computes.
 */
import type { Node } from "../dsl/node.js";

export type KernelKind = KernelPlan["kind"];

interface Common {
  /** The node this kernel writes. */
  readonly root: Node;
  /** Reductions computed inside the kernel as phases, in dependency order: a row kernel's,
   *  a dot's normalisation prologue; empty for the other kinds. */
  readonly reductions: readonly Node[];
  /** An input whose buffer the kernel writes its output into (donated; see compile.ts). */
  readonly inPlace?: Node;
}

/** A kernel as fusion decides it, before its reads are known. */
export type KernelShape =
  | (Common & { readonly kind: "elementwise"; readonly contraction?: undefined })
  | (Common & {
      readonly kind: "row";
      readonly contraction?: undefined;
      /** The reduced axes, in the index space of the reductions' inputs. */
      readonly axes: readonly number[];
    })
  | (Common & {
      readonly kind: "dot";
      readonly contraction: Node<"dot">;
      /** The nodes from the contraction to the root (elementwise, reshape). */
      readonly epilogue: readonly Node[];
      /** With a prologue: the left operand's value before its reshapes (its rows are the
       *  matmul's rows); `reductions` lists the per-row reductions it needs. */
      readonly prologueBase?: Node;
    })
  | (Common & { readonly kind: "conv"; readonly contraction: Node<"conv">; readonly epilogue: readonly Node[] })
  | (Common & { readonly kind: "attention"; readonly contraction?: undefined; readonly attention: AttentionMatch });

/** A kernel with what it reads: the buffers it binds (besides its output) and what it computes. */
export type KernelPlan = KernelShape & {
  /** Buffers bound besides the output, in first-read order. */
  readonly reads: readonly Node[];
  /** Nodes computed inside the kernel (not the root). */
  readonly fused: readonly Node[];
};
export type ElementwisePlan = Extract<KernelPlan, { kind: "elementwise" }>;
export type RowPlan = Extract<KernelPlan, { kind: "row" }>;
export type DotPlan = Extract<KernelPlan, { kind: "dot" }>;
export type ConvPlan = Extract<KernelPlan, { kind: "conv" }>;
export type AttentionPlan = Extract<KernelPlan, { kind: "attention" }>;

/**
 * softmax(T)·V where T is an elementwise function of S = A·B (scale, mask): the pattern a
 * flash-style kernel computes with an online softmax, never storing S or the weights.
 */
export interface AttentionMatch {
  /** The product with V: the kernel's root. */
  readonly out: Node;
  readonly scores: Node<"dot">;
  /** The softmax input (S itself, or S with a mask added). */
  readonly logits: Node;
  readonly values: Node;
  readonly absorbed: readonly Node[];
}

