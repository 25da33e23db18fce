/// <reference types="@webgpu/types" />
/**
 * @file Errors from the GPU with their meaning attached: a WGSL compile error names the kernel
 * and shows the offending source line; validation, out-of-memory and device loss are errors
 * that reject the run, never hangs.
 */
import { settle } from "./settle.js";

export class WgslCompileError extends Error {
  override name = "WgslCompileError";
  constructor(
    readonly kernel: string,
    readonly messages: readonly { line: number; column: number; text: string }[],
    readonly source: string,
  ) {
    const lines = source.split("\n");
    const shown = messages
      .map((m) => `  ${kernel}.wgsl:${m.line}:${m.column}: ${m.text}\n    ${lines[m.line - 1]?.trim() ?? ""}`)
      .join("\n");
    super(`WGSL compile error in kernel ${kernel}:\n${shown}`);
  }
}

export class GpuValidationError extends Error {
  override name = "GpuValidationError";
  constructor(where: string, message: string) {
    super(`WebGPU validation error ${where}: ${message}`);
  }
}

export class GpuOutOfMemoryError extends Error {
  override name = "GpuOutOfMemoryError";
  constructor(where: string, message: string) {
    super(`WebGPU out of memory ${where}: ${message}`);
  }
}

export class GpuDeviceLostError extends Error {
  override name = "GpuDeviceLostError";
}

/** Run `body` inside validation and out-of-memory error scopes; throw what they caught. */
export async function scoped<T>(device: GPUDevice, where: string, body: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope("out-of-memory");
  device.pushErrorScope("validation");
  let result: T;
  try {
    result = await body();
  } finally {
    // Popped together (LIFO: validation, then out-of-memory): one wait, not two.
    const [validation, oom] = await settle(Promise.all([device.popErrorScope(), device.popErrorScope()]));
    if (validation) throw new GpuValidationError(where, validation.message);
    if (oom) throw new GpuOutOfMemoryError(where, oom.message);
  }
  return result;
}

/** A compile option the adapter cannot honour (a forced matmul tiling wider than its subgroups, …). */
export class UnsupportedOnAdapterError extends Error {
  override name = "UnsupportedOnAdapterError";
}
