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
  try {
    return { ok: true, context: await wg.gpu() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof wg.NoAdapterError) {
      return { ok: false, title: "WebGPU is present but gave no adapter.", detail: `The GPU may be blocklisted or disabled (${message}). ${HOW_TO_ENABLE}` };
    }
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

export type Backend = "webgpu" | "cpu";

export function selectedBackend(select: HTMLSelectElement): Backend {
  return select.value === "webgpu" ? "webgpu" : "cpu";
}
