/**
 * @file Measured roofs of the device, for a roofline: an FMA-peak microkernel (many threads, each
 * running several independent chains of vec4 `fma`, nothing read from memory in the loop) and a
 * copy bandwidth (a plain vec4 copy, read + write). Both are timed on the GPU with timestamp
 * queries (one compute pass per dispatch, median of `repeats` after a warm-up), so they are the
 * numbers `WebGpuProgram.profile`'s kernel times can be set against.
 *
 * The device must have been created with the "timestamp-query" feature.
 */
import type { GpuContext } from "./device.js";
import { settle } from "./settle.js";

export interface FmaPeak {
  /** Achieved rate of the microkernel: 2 flops per scalar FMA. */
  readonly gflops: number;
  readonly milliseconds: number;
  readonly flops: number;
  readonly threads: number;
  readonly iterations: number;
  /** Independent vec4 FMA chains per thread. */
  readonly chains: number;
}

export interface CopyBandwidth {
  /** Bytes read plus bytes written per second, in GB/s (1e9). */
  readonly gbPerSecond: number;
  readonly milliseconds: number;
  /** Read + written. */
  readonly bytes: number;
}

export interface Peaks {
  readonly fma: FmaPeak;
  readonly copy: CopyBandwidth;
}

export interface PeakOptions {
  /** Timed dispatches per measurement; the median is kept (default 5). */
  readonly repeats?: number;
  /** FMA kernel: workgroups of 256 threads (default 64) and loop iterations (default 1024). */
  readonly fmaWorkgroups?: number;
  readonly fmaIterations?: number;
  /** Copy kernel: floats copied (default 1576·768, the bench's layerNorm tensor). */
  readonly copyFloats?: number;
}

const WORKGROUP = 256;
const CHAINS = 8;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** GPU time of one dispatch, median of `repeats` (after one untimed warm-up, which includes the pipeline's compile). */
async function timeDispatch(ctx: GpuContext, code: string, buffers: readonly GPUBuffer[], workgroups: readonly [number, number], repeats: number): Promise<number> {
  const { device } = ctx;
  if (!device.features.has("timestamp-query")) throw new Error("peaks: the device has no timestamp-query feature");
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const querySet = device.createQuerySet({ type: "timestamp", count: 2 });
  const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const samples: number[] = [];
  try {
    for (let r = 0; r <= repeats; r++) {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...workgroups);
      pass.end();
      encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16);
      device.queue.submit([encoder.finish()]);
      await settle(read.mapAsync(GPUMapMode.READ));
      const stamps = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      if (r > 0) samples.push(Number(stamps[1]! - stamps[0]!) / 1e6);
    }
  } finally {
    querySet.destroy();
    resolve.destroy();
    read.destroy();
  }
  return median(samples);
}

/** The WGSL of the FMA microkernel: `chains` independent vec4 fma chains per thread, `iterations` deep. */
export function fmaPeakWgsl(iterations: number, chains = CHAINS): string {
  const ids = Array.from({ length: chains }, (_, i) => i);
  return `@group(0) @binding(0) var<storage, read_write> out: array<vec4f>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let s = f32(g.x) * 1e-7;
  let m = vec4f(0.99990, 0.99991, 0.99992, 0.99993) + vec4f(s);
  let c = vec4f(1e-4, 2e-4, 3e-4, 4e-4);
${ids.map((i) => `  var a${i} = vec4f(s + ${i}.0);`).join("\n")}
  for (var i = 0u; i < ${iterations}u; i++) {
${ids.map((i) => `    a${i} = fma(a${i}, m, c);`).join("\n")}
  }
  out[g.x] = ${ids.map((i) => `a${i}`).join(" + ")};
}`;
}

/** The FMA peak: threads × iterations × chains × 4 lanes × 2 flops over the dispatch's GPU time. */
export async function measureFmaPeak(ctx: GpuContext, options: PeakOptions = {}): Promise<FmaPeak> {
  const workgroups = options.fmaWorkgroups ?? 64;
  const iterations = options.fmaIterations ?? 1024;
  const threads = workgroups * WORKGROUP;
  const out = ctx.device.createBuffer({ size: threads * 16, usage: GPUBufferUsage.STORAGE });
  try {
    const milliseconds = await timeDispatch(ctx, fmaPeakWgsl(iterations), [out], [workgroups, 1], options.repeats ?? 5);
    const flops = threads * iterations * CHAINS * 4 * 2;
    return { gflops: flops / milliseconds / 1e6, milliseconds, flops, threads, iterations, chains: CHAINS };
  } finally {
    out.destroy();
  }
}

/**
 * A vec4 copy of `floats` floats (dst at binding 0, src at 1), a workgroup of 256 threads, the
 * groups on a 2-D grid no wider than `maxGroupsPerDim`: the kernel behind the copy roof here and
 * the bench's copy case.
 */
export function vec4CopyKernel(floats: number, maxGroupsPerDim: number): { readonly code: string; readonly vec4s: number; readonly grid: readonly [number, number] } {
  const vec4s = Math.ceil(floats / 4);
  const groups = Math.ceil(vec4s / WORKGROUP);
  const gx = Math.min(groups, maxGroupsPerDim);
  const code = `@group(0) @binding(0) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(1) var<storage, read> src: array<vec4f>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * ${gx * WORKGROUP}u;
  if (i < ${vec4s}u) { dst[i] = src[i]; }
}`;
  return { code, vec4s, grid: [gx, Math.ceil(groups / gx)] };
}

/** The copy bandwidth: a vec4 copy of `copyFloats` floats, (read + written bytes) over the GPU time. */
export async function measureCopyBandwidth(ctx: GpuContext, options: PeakOptions = {}): Promise<CopyBandwidth> {
  const { code, vec4s, grid } = vec4CopyKernel(options.copyFloats ?? 1576 * 768, ctx.device.limits.maxComputeWorkgroupsPerDimension);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const src = ctx.device.createBuffer({ size: vec4s * 16, usage });
  const dst = ctx.device.createBuffer({ size: vec4s * 16, usage });
  try {
    const fill = new Float32Array(vec4s * 4);
    for (let i = 0; i < fill.length; i++) fill[i] = (i % 97) * 0.01;
    ctx.device.queue.writeBuffer(src, 0, fill);
    const milliseconds = await timeDispatch(ctx, code, [dst, src], grid, options.repeats ?? 5);
    const bytes = 2 * vec4s * 16;
    return { gbPerSecond: bytes / milliseconds / 1e6, milliseconds, bytes };
  } finally {
    src.destroy();
    dst.destroy();
  }
}

/** Both roofs. */
export async function measurePeaks(ctx: GpuContext, options: PeakOptions = {}): Promise<Peaks> {
  const fma = await measureFmaPeak(ctx, options);
  const copy = await measureCopyBandwidth(ctx, options);
  return { fma, copy };
}
