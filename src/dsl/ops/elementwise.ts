/**
 * @file Combinators that make an elementwise primitive one line: shape rule (inputs of equal
 * shape; broadcasting happens above, in `core`), dtype rule, and a CPU loop over a scalar
 * function. Results are stored in the output's typed array, which rounds to f32 (or wraps to
 * int32) exactly as the GPU will.
 */
import type { DType } from "../dtype.js";
import { require } from "../errors.js";
import { allocate, fromFlat, materialize } from "../host/array.js";
import { sizeOf } from "../host/view.js";
import type { Abstract, OpDef, VjpContext, VjpResult } from "./def.js";
import type { OpName } from "./params.js";
import type { AnyTensor } from "../tensor.js";
import type { ElementwiseLowering } from "../lowering/lowering.js";

type Scalar1 = (x: number) => number;
type Scalar2 = (a: number, b: number) => number;
type Vjp<K extends OpName> = (ct: AnyTensor, ctx: VjpContext<K>) => VjpResult;

export function checkSameShapes(inputs: readonly Abstract[]): readonly number[] {
  const first = inputs[0]!.shape;
  for (const t of inputs) {
    require(t.shape.length === first.length && t.shape.every((n, i) => n === first[i]), "inputs must have equal shapes");
  }
  return first;
}

export function unaryOp<K extends OpName>(
  name: K,
  scalar: Scalar1,
  lower: ElementwiseLowering,
  vjp: Vjp<K>,
  dtypes: readonly DType[] = ["float32"],
): OpDef<K> {
  return {
    name,
    role: "elementwise",
    arity: 1,
    shape([x]) {
      require(dtypes.includes(x!.dtype), `dtype ${x!.dtype} is not supported (takes ${dtypes.join(", ")})`);
      return { shape: x!.shape, dtype: x!.dtype };
    },
    cpu([x], _params, out, ctx) {
      const src = materialize(x!, ctx.precision);
      const dst = allocate(out.dtype, src.length, ctx.precision);
      for (let i = 0; i < src.length; i++) dst[i] = scalar(src[i]!);
      return fromFlat(dst, out.dtype, out.shape);
    },
    lower,
    vjp,
  };
}

export interface BinarySpec<K extends OpName> {
  readonly name: K;
  readonly float: Scalar2;
  /** Integer semantics where they differ from the float formula (wrapping, truncation). */
  readonly int?: Scalar2;
  readonly dtypes?: readonly DType[];
  /** Comparisons return bool. */
  readonly returnsBool?: boolean;
  readonly lower: ElementwiseLowering;
  readonly vjp: Vjp<K>;
}

export function binaryOp<K extends OpName>(spec: BinarySpec<K>): OpDef<K> {
  const dtypes = spec.dtypes ?? ["float32", "int32"];
  return {
    name: spec.name,
    role: "elementwise",
    arity: 2,
    shape(inputs) {
      const shape = checkSameShapes(inputs);
      const [a, b] = inputs;
      require(a!.dtype === b!.dtype, `dtype ${a!.dtype} and ${b!.dtype} differ`);
      require(dtypes.includes(a!.dtype), `dtype ${a!.dtype} is not supported (takes ${dtypes.join(", ")})`);
      return { shape, dtype: spec.returnsBool ? "bool" : a!.dtype };
    },
    cpu([a, b], _params, out, ctx) {
      const x = materialize(a!, ctx.precision);
      const y = materialize(b!, ctx.precision);
      const n = sizeOf(out.shape);
      const dst = allocate(out.dtype, n, ctx.precision);
      const f = a!.dtype === "float32" ? spec.float : (spec.int ?? spec.float);
      for (let i = 0; i < n; i++) dst[i] = f(x[i]!, y[i]!);
      return fromFlat(dst, out.dtype, out.shape);
    },
    lower: spec.lower,
    vjp: spec.vjp,
  };
}
