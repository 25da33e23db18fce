/// <reference types="@webgpu/types" />
/**
 * @file What the compiler needs to know about an adapter, read from every field the adapter
 * reports. Browsers hide most of it: Chrome gives an empty `description` and `device`
 * (SwiftShader shows only `vendor "google"`, `architecture "swiftshader"` and
 * `isFallbackAdapter`), so no decision may rest on the description alone.
 */

/** The parts of `GPUAdapterInfo` read here (newer fields optional: not every implementation has them). */
export interface AdapterFacts {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly device: string;
  readonly isFallbackAdapter?: boolean;
  readonly subgroupMinSize?: number;
  readonly subgroupMaxSize?: number;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|softpipe|warp|basic render/i;

/** A CPU implementation of WebGPU (lavapipe, llvmpipe, SwiftShader, WARP): kernels are tuned differently. */
export function isSoftwareAdapter(info: AdapterFacts, isFallbackAdapter = false): boolean {
  if (isFallbackAdapter || info.isFallbackAdapter === true) return true;
  return SOFTWARE.test([info.vendor, info.architecture, info.description, info.device].join(" "));
}

/**
 * Whether the adapter says it is a fallback (software) adapter: in its info (current spec) or as
 * the older `GPUAdapter.isFallbackAdapter`, which some implementations still have.
 */
export function isFallbackGpu(adapter: GPUAdapter): boolean {
  return adapter.info.isFallbackAdapter === true || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
}

/** `isSoftwareAdapter` of an adapter's info and its fallback flag (where the implementation has one). */
export function isSoftwareGpu(adapter: GPUAdapter): boolean {
  return isSoftwareAdapter(adapter.info, isFallbackGpu(adapter));
}

/**
 * The subgroup width every subgroup of this device is guaranteed to have (`subgroupMinSize`),
 * or 0 when the device has no subgroups or does not say: a kernel that shares values across
 * L lanes is correct only where L ≤ this.
 */
export function guaranteedSubgroupSize(device: GPUDevice, info: AdapterFacts): number {
  if (!device.features.has("subgroups")) return 0;
  const min = info.subgroupMinSize;
  return typeof min === "number" && Number.isInteger(min) && min > 0 ? min : 0;
}
