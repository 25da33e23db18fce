/// <reference types="@webgpu/types" />
/**
 * @file Getting a WebGPU device in Node (Dawn, from the `webgpu` package) or a browser.
 *
 * Node: Vulkan first (Mesa lavapipe on machines without a GPU), then Dawn's OpenGL ES backend
 * (stock llvmpipe) as the fallback. The device asks for the adapter's own limits, because the
 * WebGPU defaults are lower (8 storage buffers a stage, 16 KiB workgroup storage) and the
 * storage-buffer count bounds how much the compiler can fuse into one kernel.
 */
import { platform } from "#platform";
import { isSoftwareGpu } from "./adapter.js";

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly backend: string;
  readonly info: AdapterSummary;
}

export interface AdapterSummary {
  readonly backend: string;
  /** A CPU implementation (lavapipe, llvmpipe, SwiftShader): kernels are tuned differently. */
  readonly software: boolean;
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** Subgroup widths the adapter reports (0: not reported, or no subgroups). */
  readonly subgroupMinSize: number;
  readonly subgroupMaxSize: number;
  readonly features: readonly string[];
  readonly limits: Readonly<Record<string, number>>;
}

export class NoAdapterError extends Error {
  override name = "NoAdapterError";
}

const LIMIT_NAMES = [
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxBindGroups",
  "minStorageBufferOffsetAlignment",
] as const;

function summarize(adapter: GPUAdapter, backend: string): AdapterSummary {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) limits[name] = Number(adapter.limits[name]);
  return {
    backend,
    software: isSoftwareGpu(adapter),
    subgroupMinSize: info.subgroupMinSize ?? 0,
    subgroupMaxSize: info.subgroupMaxSize ?? 0,
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    features: [...adapter.features].map(String).sort(),
    limits,
  };
}

export type Backend = "vulkan" | "opengles";

export interface AcquireOptions {
  /** Backends to try in order (Node only). Default: see `defaultBackends`. */
  readonly backends?: readonly Backend[];
  /** Features the caller needs (e.g. "timestamp-query" to profile); adapters without them are skipped. */
  readonly features?: readonly string[];
}

/**
 * Vulkan first, Dawn's OpenGL ES backend (stock llvmpipe) as the fallback. Measured here with
 * `npx tsx` on the `profile` workloads (same session): with the subgroup matmul template, a
 * B/16-sized transformer block ran in 5.9 s on lavapipe (Vulkan) against 25.7 s on GLES, a
 * 1024³ matmul 395 vs 546 ms, attention 103 vs 142 ms; GLES won only layerNorm (32 vs 60 ms).
 * GLES also lacks subgroups, timestamp queries and f16. `WGT_BACKEND=vulkan|opengles` forces one.
 */
function defaultBackends(): Backend[] {
  const forced = platform.env("WGT_BACKEND");
  if (forced === "vulkan" || forced === "opengles") return [forced];
  return ["vulkan", "opengles"];
}

let shared: Promise<GpuContext> | undefined;
let sharedKey = "";
const liveInstances: GPU[] = [];

/** One shared device for the process (pipelines are cached per device). */
export function gpu(options: AcquireOptions = {}): Promise<GpuContext> {
  const key = JSON.stringify(options);
  if (!shared || key !== sharedKey) {
    sharedKey = key;
    shared = acquire(options).catch((error: unknown) => {
      shared = undefined;
      throw error;
    });
  }
  return shared;
}

export async function acquire(options: AcquireOptions = {}): Promise<GpuContext> {
  const tried: string[] = [];
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navigatorGpu) {
    const adapter = await navigatorGpu.requestAdapter({ powerPreference: "high-performance" });
    if (adapter) return open(adapter, "browser");
    tried.push("navigator.gpu: no adapter");
  }
  const node = await platform.loadWebGpu();
  if (!node) {
    if (navigatorGpu) {
      throw new NoAdapterError(
        "WebGPU: navigator.gpu gave no adapter (the browser has WebGPU but no usable adapter here: a blocklisted GPU, or Linux without --enable-unsafe-webgpu)",
      );
    }
    throw new NoAdapterError(
      platform.name === "browser"
        ? "WebGPU: this browser has no navigator.gpu (Chrome/Edge 113+ on Windows, macOS and ChromeOS; on Linux start Chromium with --enable-unsafe-webgpu or enable chrome://flags/#enable-unsafe-webgpu; Firefox 141+ on Windows; Safari 26+)"
        : "WebGPU: the `webgpu` package (Dawn for Node) could not be loaded",
    );
  }
  const wanted = options.features ?? [];
  for (const backend of options.backends ?? defaultBackends()) {
    if (backend === "opengles") platform.setEnvDefault("EGL_PLATFORM", "surfaceless");
    try {
      const instance = node.create([`backend=${backend}`]);
      // Dawn tears the device down when its instance is collected: keep every instance alive.
      liveInstances.push(instance);
      const adapter = await instance.requestAdapter(
        backend === "opengles" ? ({ featureLevel: "compatibility" } as GPURequestAdapterOptions) : {},
      );
      if (!adapter) {
        tried.push(`${backend}: no adapter`);
        continue;
      }
      const missing = wanted.filter((f) => !adapter.features.has(f));
      if (missing.length > 0) {
        tried.push(`${backend}: lacks ${missing.join(", ")}`);
        continue;
      }
      return open(adapter, backend);
    } catch (error) {
      tried.push(`${backend}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new NoAdapterError(
    `WebGPU: no adapter (${tried.join("; ")}). On Debian bookworm run scripts/setup-webgpu.sh (Mesa lavapipe from bookworm-backports).`,
  );
}

async function open(adapter: GPUAdapter, backend: Backend | "browser"): Promise<GpuContext> {
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    if (name === "minStorageBufferOffsetAlignment") continue;
    requiredLimits[name] = Number(adapter.limits[name]);
  }
  const wanted = ["shader-f16", "subgroups", "timestamp-query"].filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures: wanted });
  device.lost.then((lost) => {
    if (lost.reason !== "destroyed") console.error(`wgtensor: WebGPU device lost: ${lost.message}`);
  });
  return { device, adapter, backend, info: summarize(adapter, backend) };
}
