/**
 * @file The matmul autotuner: measure the tilings that fit a device on one matmul and keep the
 * fastest (`BENCH_TUNE=1 npm run bench` prints the measurements), in memory per device. The
 * per-shape-class tuner with a persistent cache, `wgtensor tune`, is `tuning.ts`.
 */
import * as core from "../../dsl/core.js";
import { fromFlat, type CpuArray } from "../../dsl/host/array.js";
import type { TracedGraph } from "../../dsl/backend.js";
import { spec, trace } from "../../dsl/transforms.js";
import type { DotTiling } from "../../compiler/wgsl/kernels/dot.js";
import type { GpuContext } from "./device.js";
import { dotCandidatesFor, dotTilingFits, dotTilingFor } from "./dot-tiling.js";
import { compileProgram } from "./jit.js";

const tuned = new WeakMap<GPUDevice, Promise<DotTiling>>();

/**
 * Measure the candidates once per device on a size×size×size matmul (GPU time from timestamp
 * queries, else the wall time of whole runs; best of `repeats`) and remember the fastest.
 * `onResult` sees every measurement (GFLOP/s). On lavapipe this takes tens of seconds: the
 * first run of each kernel includes llvmpipe's LLVM compile.
 */
export function tuneDot(
  ctx: GpuContext,
  options: { readonly size?: number; readonly repeats?: number; readonly candidates?: readonly DotTiling[]; readonly onResult?: (t: DotTiling, gflops: number) => void } = {},
): Promise<DotTiling> {
  let hit = tuned.get(ctx.device);
  if (!hit) {
    hit = measure(ctx, options);
    tuned.set(ctx.device, hit);
  }
  return hit;
}

async function measure(
  ctx: GpuContext,
  options: { readonly size?: number; readonly repeats?: number; readonly candidates?: readonly DotTiling[]; readonly onResult?: (t: DotTiling, gflops: number) => void },
): Promise<DotTiling> {
  const size = options.size ?? 512;
  const repeats = options.repeats ?? 3;
  const stamps = ctx.device.features.has("timestamp-query");
  const program = trace((x, y) => core.matmul(x, y), [spec([size, size]), spec([size, size])]);
  const values = () => fromFlat(Float32Array.from({ length: size * size }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), "float32", [size, size]);
  const args = [values(), values()];
  let best: { tiling: DotTiling; ms: number } | undefined;
  const candidates = (options.candidates ?? dotCandidatesFor(ctx)).filter((t) => dotTilingFits(ctx, t));
  for (const tiling of candidates) {
    try {
      const ms = await timeDot(ctx, program, args, tiling, repeats, stamps);
      options.onResult?.(tiling, (2 * size ** 3) / ms / 1e6);
      if (!best || ms < best.ms) best = { tiling, ms };
    } catch {
      // A candidate the device rejects is skipped.
    }
  }
  return best?.tiling ?? dotTilingFor(ctx);
}

/**
 * Milliseconds of one run of `program` compiled with `tiling`: GPU time from timestamp queries
 * where `stamps`, else the wall time of whole runs (the same for every candidate); one warm-up
 * run (on lavapipe it includes LLVM's compile), then the best of `repeats`. Rejects when the
 * device rejects the tiling.
 */
export async function timeDot(ctx: GpuContext, program: TracedGraph, args: readonly CpuArray[], tiling: DotTiling, repeats: number, stamps: boolean): Promise<number> {
  const prog = await compileProgram(program, { dotTiling: tiling, context: ctx });
  try {
    const once = async () => {
      if (stamps) return (await prog.profile(args, 1)).reduce((s, t) => s + t.milliseconds, 0);
      const t0 = performance.now();
      await prog.run(args);
      return performance.now() - t0;
    };
    await once();
    let ms = Infinity;
    for (let r = 0; r < repeats; r++) ms = Math.min(ms, await once());
    return ms;
  } finally {
    prog.dispose();
  }
}
