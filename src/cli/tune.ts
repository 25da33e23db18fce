/**
 * @file `wgtensor tune`: measure the matmul tilings per shape class on this adapter, within a
 * time budget, and remember the fastest in the tuning cache, where every later compile on the
 * same adapter and driver finds them (`runtime/webgpu/tuning.ts`). `--show` prints what is
 * cached, `--clear` forgets it.
 */
import { platform } from "#platform";
import type { GpuContext } from "../runtime/webgpu/device.js";
import { SHAPE_CLASSES, shapeClass, type ShapeClass } from "../runtime/webgpu/dot-tiling.js";
import { parseRecord, rememberDotTilings, tuningKey } from "../runtime/webgpu/tuning-cache.js";
import { describeTiling, tuneDotClasses } from "../runtime/webgpu/tuning.js";
import { flag, int, num, parse, str, UsageError, wantsHelp } from "./options.js";

export const TUNE_USAGE = `usage: wgtensor tune [--budget SECONDS] [--classes ${SHAPE_CLASSES.join(",")}] [--repeats N] [--shrink N]
       wgtensor tune --show | --clear
  measure the matmul tilings that fit this adapter on one matmul per shape class and remember
  the fastest in the tuning cache (used by every later compile on this adapter and driver)
  --budget SECONDS  time for all classes together (default 60); checked before each candidate
  --classes LIST    comma-separated shape classes (default all):
                      square   ${describeClass("square")}
                      long-k   ${describeClass("long-k")}
                      batched  ${describeClass("batched")}
  --repeats N       timed runs per candidate, the best kept (default 3)
  --shrink N        divide the representative sizes by N (quick checks; default 1)
  --show            print the cached choices and where the cache lives, measure nothing
  --clear           delete the tuning cache (every adapter's entries)
cache: WGTENSOR_CACHE_DIR, else $XDG_CACHE_HOME/wgtensor or ~/.cache/wgtensor (tuning.json);
WGTENSOR_CACHE_DIR=off turns it off`;

function describeClass(cls: ShapeClass): string {
  switch (cls) {
    case "square":
      return "square-ish matmuls (measured on 512×512 · 512×512)";
    case "long-k":
      return "k ≥ 2n and k ≥ 1024, e.g. a ViT MLP's fc2 (measured on 512×2048 · 2048×256)";
    case "batched":
      return "batched matmuls, e.g. attention (measured on 24 × 197×64 · 64×197)";
  }
}

const TUNE = {
  name: "tune",
  usage: TUNE_USAGE,
  options: { budget: num(), classes: str(), repeats: int(1), shrink: int(1), show: flag(), clear: flag() },
};

function parseClasses(text: string | undefined): ShapeClass[] {
  if (text === undefined) return [...SHAPE_CLASSES];
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const bad = names.filter((s) => !(SHAPE_CLASSES as readonly string[]).includes(s));
  if (bad.length > 0 || names.length === 0) throw new UsageError("tune", `--classes: unknown class "${bad[0] ?? text}" (classes: ${SHAPE_CLASSES.join(", ")})`, TUNE_USAGE);
  return [...new Set(names)] as ShapeClass[];
}

export async function tuneCommand(args: readonly string[], log: (line: string) => void, tryGpu: (log: (line: string) => void) => Promise<GpuContext | undefined>): Promise<number> {
  if (wantsHelp(args)) {
    log(TUNE_USAGE);
    return 0;
  }
  const o = parse(TUNE, args);
  const classes = parseClasses(o.classes);
  const cache = platform.tuningCache();
  if (o.clear) {
    await cache.clear();
    log(`tune: cleared ${cache.location}`);
    if (!o.show) return 0;
  }
  const ctx = await tryGpu(log);
  if (!ctx) return 1;
  const adapter = `${ctx.info.description || ctx.info.vendor} (${ctx.info.backend})`;
  if (o.clear) rememberDotTilings(ctx, cache, undefined);
  if (o.show) {
    const tuned = parseRecord(await cache.get(tuningKey(ctx)));
    log(`tune: cache ${cache.location}${cache.persistent ? "" : " (not kept after this process)"}; adapter ${adapter}`);
    for (const cls of SHAPE_CLASSES) {
      const t = tuned[cls];
      log(`  ${cls.padEnd(8)} ${t ? `${describeTiling(t.tiling)}  ${t.gflops} GFLOP/s (table's ${t.tableGflops ?? "?"}; ${t.measured}/${t.candidates} measured)` : "not tuned: the table's tiling"}`);
    }
    return 0;
  }
  const budget = o.budget ?? 60;
  log(`tune: ${classes.join(", ")} on ${adapter}, budget ${budget} s, ${ctx.device.features.has("timestamp-query") ? "timestamp queries" : "wall clock"}`);
  const result = await tuneDotClasses(ctx, {
    budgetSeconds: budget,
    classes,
    ...(o.repeats !== undefined ? { repeats: o.repeats } : {}),
    ...(o.shrink !== undefined ? { shrink: o.shrink } : {}),
    cache,
    onProgress: (p) =>
      log(`tune: ${p.cls} ${p.index}/${p.total} ${describeTiling(p.tiling)}: ${p.gflops !== undefined ? `${p.gflops.toFixed(2)} GFLOP/s` : `failed (${p.error ?? "?"})`}`),
  });
  for (const cls of classes) {
    const t = result.classes[cls];
    if (!t) {
      log(`tune: ${cls}: skipped, the budget was spent (try a larger --budget)`);
      continue;
    }
    const { batch, m, n, k } = t.shape;
    const shrunk = shapeClass(m, n, k, batch) !== cls ? " (shrunk)" : "";
    const gain = t.tableGflops ? ` (${(t.gflops / t.tableGflops).toFixed(2)}× the table's)` : "";
    log(`tune: ${cls} → ${describeTiling(t.tiling)}: ${t.gflops} GFLOP/s${gain} on ${batch > 1 ? `${batch} × ` : ""}${m}×${k} · ${k}×${n}${shrunk}, ${t.measured}/${t.candidates} candidates`);
  }
  log(`tune: ${result.seconds.toFixed(1)} s; written to ${result.location}${result.persistent ? "" : " (memory only: not kept after this process)"}`);
  return 0;
}
