/**
 * @file Tune the matmul tiling per shape class on this adapter and remember the choices
 * (`wgtensor tune`): each class's representative matmul is timed with every candidate that
 * fits the device (timestamp queries where the adapter has them, wall clock otherwise), within
 * a time budget, and the fastest is written to the platform's tuning cache (`tuning-cache.ts`),
 * where `compileProgram` finds it.
 */
import { platform, type TuningCache } from "#platform";
import * as core from "../../dsl/core.js";
import { fromFlat } from "../../dsl/host/array.js";
import { spec, trace } from "../../dsl/transforms.js";
import type { DotTiling } from "../../compiler/wgsl/kernels/dot.js";
import type { GpuContext } from "./device.js";
import { dotCandidatesFor, dotTilingFits, dotTilingFor, representativeShape, SHAPE_CLASSES, type ShapeClass } from "./dot-tiling.js";
import { adapterIdentity, parseRecord, rememberDotTilings, tuningKey, usableTilings, type TunedClass, type TuningRecord } from "./tuning-cache.js";
import { timeDot } from "./tune-dot.js";

export interface TuneOptions {
  /** Seconds for all classes together (default 60); a class gets its share plus what earlier ones left. */
  readonly budgetSeconds?: number;
  /** Which classes (default all, `SHAPE_CLASSES`). */
  readonly classes?: readonly ShapeClass[];
  /** Divide the representative sizes by this (default 1; quick runs and tests). */
  readonly shrink?: number;
  /** Timed runs per candidate after a warm-up, the best kept (default 3). */
  readonly repeats?: number;
  /** The tilings to try (default `dotCandidatesFor(ctx)`; those that do not fit are left out). */
  readonly candidates?: readonly DotTiling[];
  /** Where to write (default the platform's tuning cache). */
  readonly cache?: TuningCache;
  /** One call per candidate measured, failed or skipped. */
  readonly onProgress?: (p: TuneProgress) => void;
}

export interface TuneProgress {
  readonly cls: ShapeClass;
  /** 1-based position of this candidate in the class, and how many there are. */
  readonly index: number;
  readonly total: number;
  readonly tiling: DotTiling;
  /** GFLOP/s, or why it was not measured. */
  readonly gflops?: number;
  readonly error?: string;
}

export interface TuneResult {
  readonly key: string;
  readonly location: string;
  readonly persistent: boolean;
  /** The classes measured in this run (a class the budget left no time for is absent). */
  readonly classes: Partial<Record<ShapeClass, TunedClass>>;
  /** Classes skipped because the budget was spent. */
  readonly skipped: readonly ShapeClass[];
  readonly seconds: number;
}

/** "tm16×tn4 wx8 subgroup/8": a tiling in a progress line. */
export function describeTiling(t: DotTiling): string {
  const variant = t.variant ?? "registers";
  const extra = variant === "subgroup" ? `/${t.lanes ?? Math.min(8, t.tm)}` : variant === "workgroup" ? ` bk${t.bk ?? 8}` : "";
  return `tm${t.tm}×tn${t.tn} wg${t.wx}×${t.wy} ${variant}${extra}`;
}

/** The candidates for a class, the table's choice first (so a run cut short still compares against it). */
function orderedCandidates(ctx: GpuContext, candidates: readonly DotTiling[]): DotTiling[] {
  const table = dotTilingFor(ctx);
  const same = (a: DotTiling, b: DotTiling) => JSON.stringify(a) === JSON.stringify(b);
  const fitting = candidates.filter((t) => dotTilingFits(ctx, t));
  return [table, ...fitting.filter((t) => !same(t, table))];
}

/**
 * Measure each class within the budget and merge the choices into the cache entry of this
 * adapter. The budget is checked before each candidate (one candidate's first run, with
 * lavapipe's LLVM compile, may overrun it by a few seconds); a class always measures at least
 * the table's tiling when it starts.
 */
export async function tuneDotClasses(ctx: GpuContext, options: TuneOptions = {}): Promise<TuneResult> {
  const cache = options.cache ?? platform.tuningCache();
  const budgetMs = 1000 * (options.budgetSeconds ?? 60);
  const classes = options.classes ?? SHAPE_CLASSES;
  const repeats = options.repeats ?? 3;
  const stamps = ctx.device.features.has("timestamp-query");
  const candidates = orderedCandidates(ctx, options.candidates ?? dotCandidatesFor(ctx));
  const start = performance.now();
  const tunedNow: Partial<Record<ShapeClass, TunedClass>> = {};
  const skipped: ShapeClass[] = [];
  for (const [ci, cls] of classes.entries()) {
    // Cumulative deadlines: time a class does not use goes to the next.
    const deadline = start + (budgetMs * (ci + 1)) / classes.length;
    if (performance.now() >= start + budgetMs) {
      skipped.push(cls);
      continue;
    }
    const shape = representativeShape(cls, options.shrink ?? 1);
    const { batch, m, n, k } = shape;
    const lead = batch > 1 ? [batch] : [];
    const program = trace((x, y) => core.matmul(x, y), [spec([...lead, m, k]), spec([...lead, k, n])]);
    const values = (count: number, dims: number[]) => fromFlat(Float32Array.from({ length: count }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), "float32", dims);
    const args = [values(batch * m * k, [...lead, m, k]), values(batch * k * n, [...lead, k, n])];
    const flops = 2 * batch * m * n * k;
    let best: { tiling: DotTiling; gflops: number } | undefined;
    let tableGflops: number | undefined;
    let measured = 0;
    for (const [i, tiling] of candidates.entries()) {
      if (measured > 0 && performance.now() >= deadline) break;
      try {
        const ms = await timeDot(ctx, program, args, tiling, repeats, stamps);
        const gflops = flops / ms / 1e6;
        measured++;
        if (i === 0) tableGflops = gflops;
        options.onProgress?.({ cls, index: i + 1, total: candidates.length, tiling, gflops });
        if (!best || gflops > best.gflops) best = { tiling, gflops };
      } catch (error) {
        options.onProgress?.({ cls, index: i + 1, total: candidates.length, tiling, error: error instanceof Error ? error.message.split("\n")[0]! : String(error) });
      }
    }
    if (best) {
      tunedNow[cls] = {
        tiling: best.tiling,
        gflops: round(best.gflops),
        ...(tableGflops !== undefined ? { tableGflops: round(tableGflops) } : {}),
        shape,
        measured,
        candidates: candidates.length,
        timing: stamps ? "timestamp-query" : "wall-clock",
      };
    }
  }
  const key = tuningKey(ctx);
  let previous: unknown;
  try {
    previous = await cache.get(key);
  } catch {
    previous = undefined;
  }
  const record: TuningRecord = { adapter: adapterIdentity(ctx), tunedAt: new Date().toISOString(), classes: { ...parseRecord(previous), ...tunedNow } };
  await cache.put(key, record);
  rememberDotTilings(ctx, cache, usableTilings(ctx, record.classes, cache.location));
  return { key, location: cache.location, persistent: cache.persistent, classes: tunedNow, skipped, seconds: (performance.now() - start) / 1000 };
}

const round = (x: number) => Math.round(x * 100) / 100;
