/** @file The backend choice shared by the commands that run a model (`--backend auto|webgpu|cpu`). */

export type Backend = "cpu" | "webgpu";

/**
 * `--backend auto|webgpu|cpu` (already checked by the option parser; undefined = auto): auto
 * takes WebGPU when `hasGpu` finds an adapter (it prints why not), else the CPU interpreter.
 * Undefined when webgpu was asked for and none can be had.
 */
export async function chooseBackend(choice: "auto" | "webgpu" | "cpu" | undefined, hasGpu: () => Promise<boolean>, onFallback?: () => void): Promise<Backend | undefined> {
  if (choice === "cpu") return "cpu";
  if (await hasGpu()) return "webgpu";
  if (choice === "webgpu") return undefined;
  onFallback?.();
  return "cpu";
}
