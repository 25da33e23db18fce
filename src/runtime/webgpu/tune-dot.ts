/**
 * @file The matmul autotuner: measure the tilings that fit a device on one matmul and keep the
 * fastest (`BENCH_TUNE=1 npm run bench` prints the measurements).
 */
import * as core from "../../dsl/core.js";
import { fromFlat } from "../../dsl/host/array.js";
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
      const prog = await compileProgram(program, { dotTiling: tiling, context: ctx });
      try {
        // GPU time where the adapter has timestamp queries, else the whole run (same for all).
        const once = async () => {
          if (stamps) return (await prog.profile(args, 1)).reduce((s, t) => s + t.milliseconds, 0);
          const t0 = performance.now();
          await prog.run(args);
          return performance.now() - t0;
        };
        await once();
        let ms = Infinity;
        for (let r = 0; r < repeats; r++) ms = Math.min(ms, await once());
        options.onResult?.(tiling, (2 * size ** 3) / ms / 1e6);
        if (!best || ms < best.ms) best = { tiling, ms };
      } finally {
        prog.dispose();
      }
    } catch {
      // A candidate the device rejects is skipped.
    }
  }
  return best?.tiling ?? dotTilingFor(ctx);
}
