/**
 * @file Remembered matmul tilings: what `wgtensor tune` (`tuning.ts`) measured on an adapter,
 * per shape class, in the platform's tuning cache (`Platform.tuningCache`: a JSON file in Node,
 * IndexedDB in a browser). The key is the adapter's identity (everything it reports that could
 * change which tiling is fastest or whether one runs: vendor, architecture, device, the
 * description, which carries the driver's version, the Dawn backend, subgroup widths, the
 * limits a tiling depends on) and the version of the candidate list, so a new driver or a new
 * wgtensor tunes again. A cached choice is used only when it is one of today's candidates and
 * `dotTilingProblem` accepts it on the live device: a stale or edited entry falls back to the
 * table (`dotTilingFor`), never to wrong numbers.
 */
import { platform, type TuningCache } from "#platform";
import type { DotTiling } from "../../compiler/wgsl/kernels/dot.js";
import { isFallbackGpu } from "./adapter.js";
import type { GpuContext } from "./device.js";
import { DOT_CANDIDATES, dotTilingProblem, type DotDevice, SHAPE_CLASSES, type DotProblemShape, type ShapeClass } from "./dot-tiling.js";

/** Bump when a dot template changes in a way that can change which tiling is fastest. */
export const DOT_TUNING_VERSION = 1;

/** The candidate list's version: `DOT_TUNING_VERSION` and a hash of the candidates. */
export function candidatesVersion(candidates: readonly DotTiling[] = DOT_CANDIDATES): string {
  const text = JSON.stringify(candidates.map(canonical));
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `dot-${DOT_TUNING_VERSION}-${h.toString(16).padStart(8, "0")}`;
}

const TILING_FIELDS = ["tm", "tn", "wx", "wy", "variant", "lanes", "bk", "unrollK", "order"] as const;

/** A tiling (or a parsed cache entry) with its fields in one order and absent ones left out (for comparing and hashing). */
function canonical(t: Partial<Record<(typeof TILING_FIELDS)[number], unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of TILING_FIELDS) if (t[f] !== undefined) out[f] = t[f];
  return out;
}

/** The candidate equal to `value` (a parsed cache entry), or undefined: only known tilings are ever used. */
export function knownTiling(value: unknown): DotTiling | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (Object.keys(v).some((k) => !(TILING_FIELDS as readonly string[]).includes(k))) return undefined;
  const text = JSON.stringify(canonical(v));
  return DOT_CANDIDATES.find((c) => JSON.stringify(canonical(c)) === text);
}

/** What identifies an adapter and its driver for tuning (see the file comment). */
export interface AdapterIdentity {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly backend: string;
  readonly fallback: boolean;
  readonly subgroupMinSize: number;
  readonly subgroupMaxSize: number;
  readonly features: readonly string[];
  readonly limits: Readonly<Record<string, number>>;
  /** In a browser: its user agent (the browser ships SwiftShader and the WebGPU implementation). */
  readonly userAgent?: string;
}

const IDENTITY_FEATURES = ["shader-f16", "subgroups"];
const IDENTITY_LIMITS = ["maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupSizeX", "maxComputeWorkgroupSizeY", "maxComputeWorkgroupStorageSize", "maxStorageBuffersPerShaderStage"] as const;

export function adapterIdentity(ctx: Pick<GpuContext, "adapter" | "device" | "backend">): AdapterIdentity {
  const info = ctx.adapter.info;
  const limits: Record<string, number> = {};
  for (const name of IDENTITY_LIMITS) limits[name] = Number(ctx.device.limits[name]);
  const userAgent = ctx.backend === "browser" ? (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent : undefined;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    backend: ctx.backend,
    fallback: isFallbackGpu(ctx.adapter),
    subgroupMinSize: info.subgroupMinSize ?? 0,
    subgroupMaxSize: info.subgroupMaxSize ?? 0,
    features: IDENTITY_FEATURES.filter((f) => ctx.device.features.has(f)),
    limits,
    ...(userAgent ? { userAgent } : {}),
  };
}

/** The cache key of an adapter: its identity and the candidate list's version, as JSON. */
export function tuningKey(ctx: Pick<GpuContext, "adapter" | "device" | "backend">): string {
  return JSON.stringify({ adapter: adapterIdentity(ctx), candidates: candidatesVersion() });
}

/** One class's measured choice, as stored. */
export interface TunedClass {
  readonly tiling: DotTiling;
  /** Its speed on the class's representative shape (GFLOP/s), and the table's choice's. */
  readonly gflops: number;
  readonly tableGflops?: number;
  readonly shape: DotProblemShape;
  /** Candidates measured, of how many (fewer when the budget ran out). */
  readonly measured: number;
  readonly candidates: number;
  readonly timing: "timestamp-query" | "wall-clock";
}

/** A cache entry: the adapter it is for (readable), when, and the choice per class. */
export interface TuningRecord {
  readonly adapter: AdapterIdentity;
  readonly tunedAt: string;
  readonly classes: Partial<Record<ShapeClass, TunedClass>>;
}

/** A parsed cache value's classes, those with a known tiling (nothing else is trusted). */
export function parseRecord(value: unknown): Partial<Record<ShapeClass, TunedClass>> {
  const out: Partial<Record<ShapeClass, TunedClass>> = {};
  const classes = (value as { classes?: unknown } | undefined)?.classes;
  if (typeof classes !== "object" || classes === null) return out;
  for (const cls of SHAPE_CLASSES) {
    const entry = (classes as Record<string, unknown>)[cls] as Partial<TunedClass> | undefined;
    const tiling = knownTiling(entry?.tiling);
    if (entry && tiling) out[cls] = { ...(entry as TunedClass), tiling };
  }
  return out;
}

/** The tilings to use per class: a cached one that `dotTilingProblem` accepts on this device. */
export type CachedTilings = Partial<Record<ShapeClass, DotTiling>>;

const loaded = new WeakMap<GPUDevice, Map<string, Promise<CachedTilings>>>();
const refused = new Set<string>();

/** The cached entries that can run on `ctx` (a refused one is reported once and left out). */
export function usableTilings(ctx: DotDevice, classes: Partial<Record<ShapeClass, TunedClass>>, location = "the tuning cache"): CachedTilings {
  const out: CachedTilings = {};
  for (const cls of SHAPE_CLASSES) {
    const tiling = classes[cls]?.tiling;
    if (!tiling) continue;
    const problem = dotTilingProblem(ctx, tiling);
    if (problem === undefined) {
      out[cls] = tiling;
      continue;
    }
    const note = `${location}: the tuned ${cls} tiling ${JSON.stringify(tiling)} cannot run on this adapter (${problem}); using the table's`;
    if (!refused.has(note)) console.warn(`wgtensor: ${note}`);
    refused.add(note);
  }
  return out;
}

/**
 * The tuned tilings for `ctx` in `cache` (default: the platform's), read once per device and
 * cache location. Never rejects: an unreadable cache is no choices.
 */
export function cachedDotTilings(ctx: Pick<GpuContext, "device" | "adapter" | "backend">, cache: TuningCache = platform.tuningCache()): Promise<CachedTilings> {
  let perDevice = loaded.get(ctx.device);
  if (!perDevice) loaded.set(ctx.device, (perDevice = new Map()));
  let hit = perDevice.get(cache.location);
  if (!hit) {
    hit = cache.get(tuningKey(ctx)).then(
      (value) => usableTilings(ctx, parseRecord(value), cache.location),
      () => ({}),
    );
    perDevice.set(cache.location, hit);
  }
  return hit;
}

/** Replace what `cachedDotTilings` remembers for `ctx` and `cache` (after tuning, or to forget). */
export function rememberDotTilings(ctx: Pick<GpuContext, "device">, cache: TuningCache, tilings: CachedTilings | undefined): void {
  let perDevice = loaded.get(ctx.device);
  if (!perDevice) loaded.set(ctx.device, (perDevice = new Map()));
  if (tilings) perDevice.set(cache.location, Promise.resolve(tilings));
  else perDevice.delete(cache.location);
}
