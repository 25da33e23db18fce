/** @file Command-line options shared by the commands: flags, values, counts, the backend. */

export function flag(args: readonly string[], name: string): boolean {
  return args.includes(name);
}

/** The value after `name`, or undefined when the option is absent. */
export function text(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${name} needs a value`);
  return value;
}

/** An integer option ≥ `min` (default 0). */
export function count(args: readonly string[], name: string, fallback: number, min = 0): number {
  const v = text(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs ${min === 0 ? "a non-negative integer" : `an integer ≥ ${min}`}, got "${v}"`);
  return n;
}

export type Backend = "cpu" | "webgpu";

/**
 * `--backend auto|webgpu|cpu`: auto takes WebGPU when `hasGpu` finds an adapter (it prints why
 * not), else the CPU interpreter. Undefined when webgpu was asked for and none can be had.
 */
export async function chooseBackend(args: readonly string[], hasGpu: () => Promise<boolean>, onFallback?: () => void): Promise<Backend | undefined> {
  const choice = text(args, "--backend") ?? "auto";
  if (!["auto", "webgpu", "cpu"].includes(choice)) throw new Error(`--backend must be auto, webgpu or cpu, got "${choice}"`);
  if (choice === "cpu") return "cpu";
  if (await hasGpu()) return "webgpu";
  if (choice === "webgpu") return undefined;
  onFallback?.();
  return "cpu";
}
