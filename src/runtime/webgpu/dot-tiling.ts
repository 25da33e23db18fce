/**
 * @file Which matmul tiling each adapter gets: the measured table (lavapipe, SwiftShader, GPUs
 * with workgroup memory), and why a tiling cannot run on a device; the shape classes that
 * `wgtensor tune` measures separately (`tuning.ts`; a tuned choice, cached per adapter, takes
 * the table's place in `compileProgram`). The templates themselves are in
 * src/compiler/wgsl/kernels/dot.ts; what a tiling means is `DotTiling` there.
 */
import { DEFAULT_DOT_TILING, type DotTiling } from "../../compiler/wgsl/kernels/dot.js";
import { guaranteedSubgroupSize, isSoftwareGpu } from "./adapter.js";
import type { GpuContext } from "./device.js";

/** What `dotTilingFor` needs to know about a device. */
export type DotDevice = Pick<GpuContext, "device" | "adapter">;

/**
 * lavapipe (llvmpipe's Vulkan; 8 f32 lanes per subgroup with AVX2). Against tm 16 × tn 4, the
 * previous choice, on this 2-core machine (timestamp queries, rounds interleaved, medians):
 * 512³ 22.9 vs 20.2 GFLOP/s, 1024³ 21.4 vs 19.4, and on B/16's own matmuls fc2 287 vs 332 ms,
 * QKV 196 vs 232, fc1 277 vs 292, attention scores 32 vs 39 and A·V 28 vs 32 ms (only a
 * [8, 768]·[768, 400] head is slower, 0.7 vs 0.5 ms); `wgtensor tune` picked it for every
 * shape class too.
 */
export const LAVAPIPE_DOT_TILING: DotTiling = { tm: 16, tn: 8, wx: 8, wy: 1, variant: "subgroup", lanes: 8 };
/** lavapipe without the subgroups feature. */
export const LAVAPIPE_PLAIN_DOT_TILING: DotTiling = { tm: 8, tn: 8, wx: 8, wy: 1, variant: "registers" };
/** Adapters with real workgroup memory: a 64×64 block per 16×16 threads, staged 16 deep. */
export const GPU_DOT_TILING: DotTiling = { tm: 4, tn: 4, wx: 16, wy: 16, variant: "workgroup", bk: 16 };

/**
 * Why `tiling` cannot run on the device (features, limits, subgroup width), or undefined when
 * it can. A subgroup tiling wider than the adapter's guaranteed subgroup would compute wrong
 * numbers (lanes broadcast from lanes that belong to another subgroup), so it never fits.
 */
export function dotTilingProblem(d: DotDevice, tiling: DotTiling): string | undefined {
  const limits = d.device.limits;
  if (tiling.wx * tiling.wy > limits.maxComputeInvocationsPerWorkgroup) return `${tiling.wx}×${tiling.wy} threads exceed the device's ${limits.maxComputeInvocationsPerWorkgroup} invocations a workgroup`;
  if (tiling.wx > limits.maxComputeWorkgroupSizeX || tiling.wy > limits.maxComputeWorkgroupSizeY) return `a ${tiling.wx}×${tiling.wy} workgroup exceeds the device's ${limits.maxComputeWorkgroupSizeX}×${limits.maxComputeWorkgroupSizeY}`;
  if (tiling.variant === "subgroup") {
    const lanes = Math.min(tiling.lanes ?? 8, tiling.tm);
    const width = guaranteedSubgroupSize(d.device, d.adapter.info);
    if (width === 0) return "the subgroup variant needs the subgroups feature and a reported subgroupMinSize";
    if (lanes > width) return `the subgroup variant shares rows across ${lanes} lanes, but this adapter's subgroups may be only ${width} wide`;
    if (tiling.wy !== 1) return "the subgroup variant needs wy = 1";
  }
  if (tiling.variant === "workgroup") {
    const bytes = 4 * (tiling.bk ?? 8) * (tiling.tm * tiling.wy + tiling.tn * tiling.wx);
    if (bytes > limits.maxComputeWorkgroupStorageSize) return `${bytes} bytes of workgroup memory exceed the device's ${limits.maxComputeWorkgroupStorageSize}`;
  }
  return undefined;
}

/** Whether `tiling` can run on the device at all (features, limits, subgroup width). */
export function dotTilingFits(d: DotDevice, tiling: DotTiling): boolean {
  return dotTilingProblem(d, tiling) === undefined;
}

/**
 * SwiftShader (Chrome's CPU adapter; 4-lane subgroups): 512³ in Chromium 156 on this machine,
 * timestamp queries, best of 3: this tiling 71 ms, 8×8 registers 72, tm 16 × tn 4 over 4 lanes
 * 108, the 64×64 workgroup-memory tiling 176 (`npx tsx bench/browser.ts --tilings`).
 */
export const SWIFTSHADER_DOT_TILING: DotTiling = { tm: 16, tn: 8, wx: 16, wy: 1, variant: "subgroup", lanes: 4 };

/** The table: a tiling for the device without measuring anything. */
export function dotTilingFor(d: DotDevice): DotTiling {
  if (isSoftwareGpu(d.adapter)) {
    // lavapipe: 8-lane subgroups (AVX2); SwiftShader in Chrome: 4. Never wider than the adapter's.
    const width = guaranteedSubgroupSize(d.device, d.adapter.info);
    const sub = width >= 8 ? LAVAPIPE_DOT_TILING : width >= 4 ? SWIFTSHADER_DOT_TILING : undefined;
    return sub && dotTilingFits(d, sub) ? sub : LAVAPIPE_PLAIN_DOT_TILING;
  }
  return dotTilingFits(d, GPU_DOT_TILING) ? GPU_DOT_TILING : DEFAULT_DOT_TILING;
}

/** Tilings `tuneDot` tries (those that fit the device; on a CPU adapter not the workgroup-memory ones). */
export const DOT_CANDIDATES: readonly DotTiling[] = [
  LAVAPIPE_DOT_TILING,
  { tm: 16, tn: 4, wx: 8, wy: 1, variant: "subgroup", lanes: 8 },
  { tm: 8, tn: 8, wx: 8, wy: 1, variant: "subgroup", lanes: 8 },
  { tm: 24, tn: 4, wx: 8, wy: 1, variant: "subgroup", lanes: 8 },
  SWIFTSHADER_DOT_TILING,
  { tm: 8, tn: 8, wx: 4, wy: 1, variant: "subgroup", lanes: 4 },
  LAVAPIPE_PLAIN_DOT_TILING,
  { tm: 4, tn: 4, wx: 8, wy: 8, variant: "registers" },
  GPU_DOT_TILING,
  { tm: 8, tn: 8, wx: 16, wy: 16, variant: "workgroup", bk: 8 },
  { tm: 4, tn: 4, wx: 16, wy: 16, variant: "registers" },
];

/** The candidates worth measuring on this device. */
export function dotCandidatesFor(d: DotDevice): DotTiling[] {
  const software = isSoftwareGpu(d.adapter);
  return DOT_CANDIDATES.filter((t) => dotTilingFits(d, t) && !(software && t.variant === "workgroup"));
}


/**
 * The shape classes tuned separately (`wgtensor tune`): the best tiling differs between a
 * square-ish matmul, a long reduction into a narrow output (a ViT MLP's fc2:
 * 1576×3072 · 3072×768, and weight gradients), and many small matmuls in a batch (attention:
 * 24 × 197×64 · 64×197).
 */
export const SHAPE_CLASSES = ["square", "long-k", "batched"] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/** The class of [batch] × (m×k · k×n): batched when batch > 1, long-k when k ≥ 2n and k ≥ 1024, else square. */
export function shapeClass(m: number, n: number, k: number, batch = 1): ShapeClass {
  if (batch > 1) return "batched";
  if (k >= 2 * n && k >= 1024) return "long-k";
  return "square";
}

/** One matmul of a class: [batch] × (m×k · k×n). */
export interface DotProblemShape {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/**
 * The matmul each class is measured on; `shrink` divides the sizes (quick runs and tests; a
 * shrunk shape may fall into another class by `shapeClass`, it is still measured for this one).
 */
export function representativeShape(cls: ShapeClass, shrink = 1): DotProblemShape {
  const s = (x: number) => Math.max(8, Math.round(x / shrink));
  switch (cls) {
    case "square":
      return { batch: 1, m: s(512), n: s(512), k: s(512) };
    case "long-k":
      return { batch: 1, m: s(512), n: s(256), k: s(2048) };
    case "batched":
      return { batch: Math.max(2, Math.round(24 / shrink)), m: s(197), n: s(197), k: s(64) };
  }
}
