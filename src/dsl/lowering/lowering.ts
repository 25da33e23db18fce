/**
 * @file How a primitive becomes WGSL. Each OpDef carries one `Lowering`, by fusion role:
 *   elementwise  an expression of its operands' expressions (fused freely)
 *   movement     index arithmetic: the input index (and validity) for an output index
 *   source       an expression for the value at an index (literals, iota, RNG), or a buffer
 *   reduce       identity and combine of the accumulator (loops are the kernel's)
 *   contraction  the kernel template that computes it (dot, conv)
 * Index expressions are WGSL i32 expressions, one per dim.
 */
import type { DType } from "../dtype.js";

export interface ElementwiseLowering {
  readonly kind: "elementwise";
  /** `args` are WGSL expressions of the inputs (bools as WGSL bool). */
  readonly wgsl: (args: readonly string[], types: { readonly inputs: readonly DType[]; readonly out: DType }) => string;
  /** Helper functions the expression calls (emitted once per kernel). */
  readonly helpers?: readonly string[];
}

export interface IndexMap {
  /** Index expressions into the input. */
  readonly index: readonly string[];
  /** A WGSL bool: where false the value is `fill` (padding). */
  readonly valid?: string;
  readonly fill?: number;
}

export interface MovementLowering<P> {
  readonly kind: "movement";
  /** For input `which` (concat has several): where output index `out` reads from. */
  readonly index: (out: readonly string[], params: P, inShapes: readonly (readonly number[])[], outShape: readonly number[]) => readonly IndexMap[];
}

export interface SourceLowering<P> {
  readonly kind: "source";
  /** Expression for the value at `index`; undefined means "lives in a buffer". `args` are input expressions (random's key words). */
  readonly value?: (index: readonly string[], params: P, outShape: readonly number[], keyExpr: (word: 0 | 1) => string) => string;
  readonly helpers?: readonly string[];
}

export interface ReduceLowering {
  readonly kind: "reduce";
  readonly identity: (dtype: DType) => string;
  /** `dtype` is the reduced value's: a float reduction may need to treat NaN explicitly. */
  readonly combine: (acc: string, value: string, dtype: DType) => string;
}

export interface ContractionLowering {
  readonly kind: "contraction";
  readonly template: "dot" | "conv";
}

export type Lowering<P> = ElementwiseLowering | MovementLowering<P> | SourceLowering<P> | ReduceLowering | ContractionLowering;

// ------------------------------------------------------------------ helpers shared by ops

/**
 * `x` is NaN, tested on its bits: drivers compile floating-point compares as if NaN could not
 * occur (lavapipe's \`x != 0.0\` is false for NaN), the bits cannot be optimised away.
 */
export const isNanF32 = (x: string): string => `((bitcast<u32>(${x}) & 0x7fffffffu) > 0x7f800000u)`;

/** max(a, b) that is NaN when either is (WGSL's max may return the other operand). */
export const maxPropagatingNan = (a: string, b: string): string => `select(max(${a}, ${b}), ${a} + ${b}, ${isNanF32(a)} || ${isNanF32(b)})`;

export function wgslType(dtype: DType): "f32" | "i32" | "bool" {
  return dtype === "float32" ? "f32" : dtype === "int32" ? "i32" : "bool";
}

/** A WGSL literal of `value` in `dtype`. */
export function literal(value: number, dtype: DType): string {
  if (dtype === "bool") return value ? "true" : "false";
  if (dtype === "int32") return value < 0 ? `(${value | 0}i)` : `${value | 0}i`;
  // WGSL constant expressions cannot be ∞ or NaN: these come from run-time bit patterns.
  if (Number.isNaN(value)) return "wg_nan()";
  if (value === Infinity) return "wg_inf()";
  if (value === -Infinity) return "(-wg_inf())";
  // JS prints the shortest decimal that reads back as this double, which is the f32 itself.
  if (Object.is(value, -0)) return "(-0.0f)";
  const text = String(Math.fround(value));
  const decimal = /[.e]/.test(text) ? text : `${text}.0`;
  return value < 0 ? `(${decimal}f)` : `${decimal}f`;
}

export const elementwise = (wgsl: ElementwiseLowering["wgsl"], helpers?: readonly string[]): ElementwiseLowering =>
  helpers ? { kind: "elementwise", wgsl, helpers } : { kind: "elementwise", wgsl };
export const unaryCall = (fn: string, helpers?: readonly string[]): ElementwiseLowering => elementwise(([a]) => `${fn}(${a})`, helpers);
export const infix = (op: string): ElementwiseLowering => elementwise(([a, b]) => `(${a} ${op} ${b})`);
