/**
 * @file WebGPU in Node for browser libraries: Dawn's globals (GPUBufferUsage, …) and one
 * `navigator.gpu` for the whole process, so wgtensor, jax-js and TF.js all request their
 * adapter from the same Dawn instance (and get the same adapter). Import this before any of
 * them: TF.js registers its WebGPU backend at import time only if `navigator.gpu` exists then.
 *
 * BENCH_BACKEND picks Dawn's backend: "vulkan" (Mesa lavapipe on a machine without a GPU) or
 * "opengles" (Dawn's GLES backend on Mesa llvmpipe, a compatibility-mode adapter: every
 * adapter request is made with featureLevel "compatibility"). Default: WGT_BACKEND if set,
 * else "vulkan" — on lavapipe that is the only one with timestamp queries and subgroups.
 */
import { cpus } from "node:os";
import { create, globals } from "webgpu";

Object.assign(globalThis, globals);

export type BenchBackend = "vulkan" | "opengles";

function pick(): BenchBackend {
  const wanted = process.env.BENCH_BACKEND ?? process.env.WGT_BACKEND ?? "vulkan";
  if (wanted !== "vulkan" && wanted !== "opengles") throw new Error(`BENCH_BACKEND must be vulkan or opengles, got ${wanted}`);
  return wanted;
}

export const backend: BenchBackend = pick();
if (backend === "opengles") process.env.EGL_PLATFORM ??= "surfaceless";

/** Dawn tears the device down when its instance is garbage collected: keep it here for good. */
export const dawn: GPU = create([`backend=${backend}`]);

/** What the libraries see as `navigator.gpu`. */
const gpuForLibraries: GPU =
  backend === "opengles"
    ? ({
        requestAdapter: (options?: GPURequestAdapterOptions) =>
          dawn.requestAdapter({ ...(options ?? {}), featureLevel: "compatibility" } as GPURequestAdapterOptions),
        getPreferredCanvasFormat: () => dawn.getPreferredCanvasFormat(),
        get wgslLanguageFeatures() {
          return dawn.wgslLanguageFeatures;
        },
      } as GPU)
    : dawn;

const existing = (globalThis as { navigator?: { userAgent?: string } }).navigator;
Object.defineProperty(globalThis, "navigator", {
  value: {
    userAgent: existing?.userAgent ?? `Node.js/${process.versions.node}`,
    language: "en-US",
    hardwareConcurrency: cpus().length,
    gpu: gpuForLibraries,
  },
  configurable: true,
  writable: true,
});

/** A one-line description of an adapter. */
export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  const text = info ? [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" / ") : "";
  return text || "(the library keeps no adapter info; same navigator.gpu)";
}
