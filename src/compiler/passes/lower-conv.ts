/**
 * @file Convolutions that are matrix products in disguise become one, so they run on the tuned
 * matmul template: a patchify conv (kernel = stride, no padding or dilation — the video stem)
 * and a pointwise 1×1×1 conv are, after a view of the input,
 *   y[n, o, :] = W · x[n, o·k : o·k + k, :]   i.e.   [N·O, K·Cin] · [K·Cin, Cout].
 * The patchify conv's weight gradient is a "tiling" conv (stride 1, dilation = the output
 * size, the kernel's taps cover the input exactly once):
 *   y[n, o, :] = Σₖ W[:, k, :] · x[n, k·D + o, :]   i.e.   again [N·O, K·Cin] · [K·Cin, Cout],
 * with each input dim split (k, o) instead of (o, k). On lavapipe this took a training step's
 * stem gradient from 287 ms (a direct conv with 2048-long reductions in 96 workgroups) to a
 * matmul. Only views are added, so the matmul reads the input in place.
 */
import type { Node } from "../../dsl/node.js";
import type { GraphBuilder, Rule } from "./rewrite.js";
import { sizeOf } from "../../dsl/host/view.js";


export const CONV_AS_MATMUL: Rule = {
  name: "conv-as-matmul",
  apply(node: Node, g: GraphBuilder): Node | undefined {
    if (!node.is("conv")) return undefined;
    const { stride, padding, dilation, groups } = node.params;
    const [x, w] = node.inputs as [Node, Node];
    const r = x.shape.length - 2;
    const kernel = w.shape.slice(1, r + 1);
    if (groups !== 1) return undefined;
    const unpadded = padding.every(([lo, hi]) => lo === 0 && hi === 0);
    const patchify = unpadded && kernel.every((k, d) => stride[d] === k && dilation[d] === 1);
    const tiling = !patchify && unpadded && kernel.every((k, d) => stride[d] === 1 && x.shape[d + 1] === k * dilation[d]!);
    if (!patchify && !tiling) return undefined;
    const [n, cin] = [x.shape[0]!, x.shape[r + 1]!];
    const cout = w.shape[0]!;
    const out = node.shape.slice(1, r + 1);
    // Patchify: drop the tail no window reaches, split each spatial dim into (window, offset).
    // Tiling: split it into (tap, position). Then bring the kernel taps next to the channels.
    const covered = out.map((o, d) => o * kernel[d]!);
    const cropped = tiling || covered.every((c, d) => c === x.shape[d + 1])
      ? x
      : g.node("slice", { starts: x.shape.map(() => 0), ends: [n, ...covered, cin], steps: x.shape.map(() => 1) }, [x]);
    const split = g.node("reshape", { shape: [n, ...out.flatMap((o, d) => (tiling ? [kernel[d]!, o] : [o, kernel[d]!])), cin] }, [cropped]);
    const [outAxis, tapAxis] = tiling ? [2, 1] : [1, 2];
    const perm = [0, ...out.map((_, d) => outAxis + 2 * d), ...out.map((_, d) => tapAxis + 2 * d), 2 * r + 1];
    const patches = g.node("reshape", { shape: [n * sizeOf(out), sizeOf(kernel) * cin] }, [g.node("permute", { perm }, [split])]);
    const weights = g.node("permute", { perm: [1, 0] }, [g.node("reshape", { shape: [cout, sizeOf(kernel) * cin] }, [w])]);
    return g.node("reshape", { shape: node.shape }, [g.node("dot", {}, [patches, weights])]);
  },
};
