/**
 * @file Probing WebGPU once for the whole page: `navigator.gpu`, an adapter, a device (the
 * library's shared one, `wg.gpu()`), with a message that says what to do when any is missing.
 */
import * as wg from "../../src/index.js";

export type AdapterProbe =
  | { readonly ok: true; readonly context: wg.GpuContext }
  | { readonly ok: false; readonly title: string; readonly detail: string };

const HOW_TO_ENABLE =
  "In Chrome or Chromium enable it at chrome://flags → “Unsafe WebGPU Support”, or start the browser with " +
  "--enable-unsafe-webgpu (on Linux WebGPU is still behind that flag). The CPU interpreter works without it: " +
  "pick “CPU interpreter” as the backend (slower, same numbers).";

let probe: Promise<AdapterProbe> | undefined;

/** The page's WebGPU status (probed once). */
export function probeAdapter(): Promise<AdapterProbe> {
  probe ??= run();
  return probe;
}

async function run(): Promise<AdapterProbe> {
  if (!("gpu" in navigator) || !navigator.gpu) {
    const insecure = !window.isSecureContext
      ? ` This page is not a secure context (${location.origin}); WebGPU needs https:// or http://localhost.`
      : "";
    return { ok: false, title: "No WebGPU in this browser (navigator.gpu is missing).", detail: HOW_TO_ENABLE + insecure };
  }
  // Asked here first so that "no adapter" gets its own message (Chromium on Linux has
  // navigator.gpu but hands out no adapter unless WebGPU is enabled explicitly).
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" }).catch(() => null);
  if (!adapter) {
    return {
      ok: false,
      title: "WebGPU is present but gave no adapter.",
      detail: `Chromium on Linux exposes navigator.gpu but hands out an adapter only when WebGPU is enabled explicitly, and a blocklisted GPU gives none. ${HOW_TO_ENABLE}`,
    };
  }
  try {
    return { ok: true, context: await wg.gpu() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, title: "WebGPU failed to start.", detail: `${message}. ${HOW_TO_ENABLE}` };
  }
}

/** Point every backend <select> at what works: WebGPU when there is an adapter, else the interpreter. */
export function configureBackendSelect(select: HTMLSelectElement, probe: AdapterProbe): void {
  const webgpu = [...select.options].find((o) => o.value === "webgpu");
  if (!webgpu) return;
  if (probe.ok) {
    webgpu.textContent = `WebGPU (${probe.context.info.architecture || probe.context.info.vendor || "adapter"}${probe.context.info.software ? ", software" : ""})`;
    select.value = "webgpu";
  } else {
    webgpu.disabled = true;
    webgpu.textContent = "WebGPU (not available)";
    select.value = "cpu";
  }
}

/** The backends a <select> offers, by its options' values: the choice becomes a backend value here. */
const BACKENDS: Readonly<Record<string, wg.Backend>> = { webgpu: wg.webgpuBackend, cpu: wg.cpuBackend };

export function selectedBackend(select: HTMLSelectElement): wg.Backend {
  return BACKENDS[select.value] ?? wg.cpuBackend;
}
