/**
 * @file conv: N-d convolution, channels-last, with groups, stride, dilation and [lo, hi] padding.
 *   x [N, ...S, Cin] ⊛ w [Cout, ...K, Cin/groups] → y [N, ...O, Cout],
 *   O = ⌊(S + lo + hi − dilation·(K − 1) − 1) / stride⌋ + 1.
 * Both VJPs are convolutions again, with only views around them (no extra primitive):
 *   dx = conv(zero-interleaved, padded dy, flipped and group-transposed w, dilation d)
 *   dw = conv(x with batch and channels swapped, dy likewise, stride d, dilation s)
 * The CPU loop accumulates in f64.
 */
import * as core from "../core.js";
import { require } from "../errors.js";
import { allocate, fromFlat, materialize } from "../host/array.js";
import { sizeOf } from "../host/view.js";
import type { AnyTensor } from "../tensor.js";
import type { OpDef } from "./def.js";
import type { OpParams } from "./params.js";
import { interleaveZeros } from "./slice.js";

type ConvParams = OpParams["conv"];

export function convOutSize(size: number, kernel: number, stride: number, [lo, hi]: readonly [number, number], dilation: number): number {
  return Math.floor((size + lo + hi - dilation * (kernel - 1) - 1) / stride) + 1;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

/** Input gradient: a stride-1 convolution of the spread-out cotangent with the flipped kernel. */
function inputGrad(dy: AnyTensor, x: AnyTensor, w: AnyTensor, p: ConvParams): AnyTensor {
  const r = x.shape.length - 2;
  const spatial = range(r, 1);
  const [ci, co, g] = [x.shape[r + 1]!, w.shape[0]!, p.groups];
  const kernel = w.shape.slice(1, r + 1);
  let spread = dy;
  for (const d of spatial) spread = interleaveZeros(spread, d, p.stride[d - 1]!);
  const pads = spread.shape.map((len, d): [number, number] => {
    if (d === 0 || d === r + 1) return [0, 0];
    const reach = p.dilation[d - 1]! * (kernel[d - 1]! - 1);
    const lo = reach - p.padding[d - 1]![0];
    return [lo, x.shape[d]! + reach - len - lo];
  });
  const wT = core.reshape(
    core.permute(core.reshape(w, [g, co / g, ...kernel, ci / g]), [0, r + 2, ...range(r, 2), 1]),
    [ci, ...kernel, co / g],
  );
  return core.conv(core.padOrCrop(spread, pads), core.flip(wT, spatial), { dilation: p.dilation, groups: g });
}

/** Weight gradient: batch and channels trade places, so the sum over N and O is a convolution. */
function weightGrad(dy: AnyTensor, x: AnyTensor, w: AnyTensor, p: ConvParams): AnyTensor {
  const r = x.shape.length - 2;
  const [n, ci, co, g] = [x.shape[0]!, x.shape[r + 1]!, w.shape[0]!, p.groups];
  const kernel = w.shape.slice(1, r + 1);
  const xs = x.shape.slice(1, r + 1);
  const os = dy.shape.slice(1, r + 1);
  // x [N, S, g, ci/g] → [ci/g, S, g·N]
  const xT = core.reshape(core.permute(core.reshape(x, [n, ...xs, g, ci / g]), [r + 2, ...range(r, 1), r + 1, 0]), [ci / g, ...xs, g * n]);
  // dy [N, O, g, co/g] → [g·co/g, O, N]
  const dyT = core.reshape(core.permute(core.reshape(dy, [n, ...os, g, co / g]), [r + 1, r + 2, ...range(r, 1), 0]), [co, ...os, n]);
  const full = core.conv(xT, dyT, { stride: p.dilation, dilation: p.stride, padding: p.padding, groups: g });
  const cropped = core.slice(full, full.shape.map(() => 0), [ci / g, ...kernel, co]);
  return core.permute(cropped, [r + 1, ...range(r, 1), 0]);
}

export const conv: OpDef<"conv"> = {
  name: "conv",
  role: "contraction",
  arity: 2,
  shape([x, w], { stride, padding, dilation, groups }) {
    const rank = x!.shape.length;
    const r = rank - 2;
    require(r >= 1, `input must be [N, ...spatial, C] with at least one spatial dim`);
    require(w!.shape.length === rank, `weight rank ${w!.shape.length} must equal input rank ${rank} ([Cout, ...kernel, Cin/groups])`);
    require(stride.length === r && padding.length === r && dilation.length === r, `stride, padding and dilation need ${r} entries each`);
    require(Number.isInteger(groups) && groups >= 1, `groups ${groups} must be a positive integer`);
    const [cin, cout, cinPerGroup] = [x!.shape[r + 1]!, w!.shape[0]!, w!.shape[r + 1]!];
    require(cin % groups === 0 && cout % groups === 0, `groups ${groups} must divide Cin ${cin} and Cout ${cout}`);
    require(cinPerGroup * groups === cin, `weight takes ${cinPerGroup} channels per group × ${groups} groups, input has ${cin}`);
    require(x!.dtype === "float32" && w!.dtype === "float32", `dtype must be float32, got ${x!.dtype} and ${w!.dtype}`);
    const out = x!.shape.slice(1, r + 1).map((s, d) => {
      require(stride[d]! >= 1 && dilation[d]! >= 1 && padding[d]![0] >= 0 && padding[d]![1] >= 0, `dim ${d}: stride and dilation must be >= 1, padding >= 0`);
      const o = convOutSize(s, w!.shape[d + 1]!, stride[d]!, padding[d]!, dilation[d]!);
      require(o >= 1, `spatial dim ${d}: window ${w!.shape[d + 1]} (dilation ${dilation[d]}) is larger than the padded input ${s + padding[d]![0] + padding[d]![1]}`);
      return o;
    });
    return { shape: [x!.shape[0]!, ...out, cout], dtype: "float32" };
  },
  cpu([xa, wa], { stride, padding, dilation, groups }, out, ctx) {
    const x = materialize(xa!, ctx.precision);
    const w = materialize(wa!, ctx.precision);
    const xs = xa!.view.shape;
    const r = xs.length - 2;
    const sp = xs.slice(1, r + 1);
    const ks = wa!.view.shape.slice(1, r + 1);
    const os = out.shape.slice(1, r + 1);
    const [batch, cin, cout] = [xs[0]!, xs[r + 1]!, out.shape[r + 1]!];
    const [cig, cog] = [cin / groups, cout / groups];
    const [sVol, kVol, oVol] = [sizeOf(sp), sizeOf(ks), sizeOf(os)];
    // For each (output position, kernel position): the input position, or -1 inside padding.
    const taps = new Int32Array(oVol * kVol);
    const oi = new Array<number>(r).fill(0);
    for (let o = 0; o < oVol; o++) {
      const ki = new Array<number>(r).fill(0);
      for (let k = 0; k < kVol; k++) {
        let pos = 0;
        for (let d = 0; d < r; d++) {
          const i = oi[d]! * stride[d]! + ki[d]! * dilation[d]! - padding[d]![0];
          if (i < 0 || i >= sp[d]!) {
            pos = -1;
            break;
          }
          pos = pos * sp[d]! + i;
        }
        taps[o * kVol + k] = pos;
        for (let d = r - 1; d >= 0 && ++ki[d]! === ks[d]!; d--) ki[d] = 0;
      }
      for (let d = r - 1; d >= 0 && ++oi[d]! === os[d]!; d--) oi[d] = 0;
    }
    const dst = allocate("float32", batch * oVol * cout, ctx.precision);
    const acc = new Float64Array(cout);
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < oVol; o++) {
        acc.fill(0);
        for (let k = 0; k < kVol; k++) {
          const pos = taps[o * kVol + k]!;
          if (pos < 0) continue;
          const xBase = (b * sVol + pos) * cin;
          for (let c = 0; c < cout; c++) {
            const xg = xBase + Math.floor(c / cog) * cig;
            const wBase = (c * kVol + k) * cig;
            let s = 0;
            for (let i = 0; i < cig; i++) s += x[xg + i]! * w[wBase + i]!;
            acc[c]! += s;
          }
        }
        dst.set(acc, (b * oVol + o) * cout);
      }
    }
    return fromFlat(dst, "float32", out.shape);
  },
  lower: { kind: "contraction", template: "conv" },
  vjp: (ct, { inputs: [x, w], params }) => [inputGrad(ct, x!, w!, params), weightGrad(ct, x!, w!, params)],
};
