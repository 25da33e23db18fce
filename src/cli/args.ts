/**
 * @file The backend choice shared by the commands that run a model (`--backend auto|webgpu|cpu`):
 * the flag becomes a backend value here, at the edge; nothing below the CLI sees its name.
 */
import type { Backend } from "../dsl/backend.js";
import { cpuBackend } from "../runtime/cpu/backend.js";
import { webgpuBackend } from "../runtime/webgpu/jit.js";

/**
 * `--backend auto|webgpu|cpu` (already checked by the option parser; undefined = auto): auto
 * takes WebGPU when `hasGpu` finds an adapter (it prints why not), else the CPU interpreter.
 * Undefined when webgpu was asked for and none can be had.
 */
export async function chooseBackend(choice: "auto" | "webgpu" | "cpu" | undefined, hasGpu: () => Promise<boolean>, onFallback?: () => void): Promise<Backend | undefined> {
  if (choice === "cpu") return cpuBackend;
  if (await hasGpu()) return webgpuBackend;
  if (choice === "webgpu") return undefined;
  onFallback?.();
  return cpuBackend;
}
