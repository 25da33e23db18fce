/**
 * @file dot: batched matrix product [...b, M, K] · [...b, K, N] → [...b, M, N] with equal batch
 * dims (core.matmul broadcasts them first). CPU accumulates each output row in f64.
 */
import * as core from "../core.js";
import { require } from "../errors.js";
import { allocate, fromFlat, materialize } from "../host/array.js";
import { sizeOf } from "../host/view.js";
import type { OpDef } from "./def.js";

export const dot: OpDef<"dot"> = {
  name: "dot",
  role: "contraction",
  arity: 2,
  shape([a, b]) {
    const ra = a!.shape.length;
    const rb = b!.shape.length;
    require(ra >= 2 && rb >= 2, "both operands need rank >= 2");
    require(ra === rb && a!.shape.slice(0, -2).every((n, d) => n === b!.shape[d]), "batch dims differ");
    require(a!.shape[ra - 1] === b!.shape[rb - 2], `inner dims ${a!.shape[ra - 1]} and ${b!.shape[rb - 2]} differ`);
    require(a!.dtype === b!.dtype && a!.dtype !== "bool", `dtype ${a!.dtype} and ${b!.dtype} must be equal numeric types`);
    return { shape: [...a!.shape.slice(0, -2), a!.shape[ra - 2]!, b!.shape[rb - 1]!], dtype: a!.dtype };
  },
  cpu([a, b], _params, out, ctx) {
    const x = materialize(a!, ctx.precision);
    const y = materialize(b!, ctx.precision);
    const r = out.shape.length;
    const [m, n] = [out.shape[r - 2]!, out.shape[r - 1]!];
    const k = a!.view.shape[r - 1]!;
    const batch = sizeOf(out.shape.slice(0, -2));
    const dst = allocate(out.dtype, sizeOf(out.shape), ctx.precision);
    if (out.dtype === "int32") return fromFlat(int32Dot(x, y, batch, m, n, k), out.dtype, out.shape);
    const row = new Float64Array(n);
    for (let bi = 0; bi < batch; bi++) {
      const xb = bi * m * k;
      const yb = bi * k * n;
      for (let i = 0; i < m; i++) {
        row.fill(0);
        for (let p = 0; p < k; p++) {
          const v = x[xb + i * k + p]!;
          const yr = yb + p * n;
          for (let j = 0; j < n; j++) row[j]! += v * y[yr + j]!;
        }
        dst.set(row, (bi * m + i) * n);
      }
    }
    return fromFlat(dst, out.dtype, out.shape);
  },
  lower: { kind: "contraction", template: "dot" },
  vjp: (ct, { inputs: [a, b] }) => [core.dot(ct, core.transpose(b!)), core.dot(core.transpose(a!), ct)],
};

/** int32 products and sums wrap around as the GPU's i32 arithmetic does (f64 would keep the overflow). */
function int32Dot(x: ArrayLike<number>, y: ArrayLike<number>, batch: number, m: number, n: number, k: number): Int32Array {
  const dst = new Int32Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc = (acc + Math.imul(x[bi * m * k + i * k + p]!, y[bi * k * n + p * n + j]!)) | 0;
        dst[(bi * m + i) * n + j] = acc;
      }
    }
  }
  return dst;
}
