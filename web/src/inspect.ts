/**
 * @file The Inspect tab: the WebGPU adapter (vendor, architecture, software or not, features,
 * the limits the compiler uses), and a compiled program's kernels with their GPU times
 * (`WebGpuProgram.profile`: timestamp queries, one pass per kernel, median of the repeats) on a
 * timeline and in a table. Without `timestamp-query` it says so and times whole runs instead.
 */
import * as wg from "../../src/index.js";
import type { AdapterProbe } from "./adapter.js";
import { byId, describeError, el, setStatus, yieldToBrowser } from "./dom.js";
import { KIND_COLORS, Timeline, type TimelineKernel } from "./timeline.js";
import { WORKLOADS, workloadInputs } from "./workloads.js";

const WANTED_FEATURES = ["timestamp-query", "subgroups", "shader-f16"];

function row(name: string, value: string | Node): HTMLTableRowElement {
  return el("tr", {}, el("td", {}, name), el("td", {}, value));
}

/** Byte limits in KiB/MiB/GiB (exact bytes in the tooltip), counts as they are. */
function formatLimit(name: string, value: number): HTMLElement {
  const bytes = /Size$/.test(name) && value >= 1024;
  const units: [number, string][] = [[2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]];
  const [scale, unit] = units.find(([s]) => value >= s) ?? [1, "B"];
  const text = bytes ? `${Number((value / scale).toFixed(2))} ${unit}` : value.toLocaleString("en-US");
  return el("span", { title: `${value.toLocaleString("en-US")}${bytes ? " bytes" : ""}` }, text);
}

function renderAdapter(container: HTMLElement, probe: AdapterProbe): void {
  if (!probe.ok) {
    container.replaceChildren(el("div", { class: "card" }, el("h3", {}, probe.title), el("p", {}, probe.detail)));
    return;
  }
  const { info, adapter } = probe.context;
  const features = el("div", { class: "chips" }, ...info.features.map((f) => el("span", { class: `chip${WANTED_FEATURES.includes(f) ? " on" : ""}` }, f)));
  const identity = el(
    "table",
    {},
    row("vendor", info.vendor || "(empty)"),
    row("architecture", info.architecture || "(empty)"),
    row("description", info.description || "(empty)"),
    row("device", adapter.info.device || "(empty)"),
    row("software", info.software ? "yes — a CPU implementation: the compiler keeps attention and layerNorm out of the matmuls" : "no"),
    row("fallback adapter", adapter.info.isFallbackAdapter ? "yes" : "no"),
    row("timestamp queries", info.features.includes("timestamp-query") ? "yes: per-kernel GPU times below" : "no: only whole-program times below"),
  );
  const limits = el("table", {}, ...Object.entries(info.limits).map(([name, value]) => row(name, formatLimit(name, value))));
  container.replaceChildren(
    el("div", { class: "card" }, el("h3", {}, "Identity"), identity),
    el("div", { class: "card" }, el("h3", {}, "Limits the compiler reads"), limits),
    el("div", { class: "card" }, el("h3", {}, `Features (${info.features.length})`), features),
  );
}

/**
 * "dot · add · tanh": the distinct primitives a kernel computes, its contraction or reductions
 * first; movement ops and fills left out (they are index arithmetic), at most 8.
 */
function fusedOps(ops: readonly string[]): string {
  const movement = new Set(["reshape", "permute", "expand", "slice", "pad", "flip", "concat", "input", "constant", "full"]);
  const distinct = [...new Set(ops.filter((op) => !movement.has(op)))];
  return distinct.length > 8 ? `${distinct.slice(0, 8).join(" · ")} …` : distinct.join(" · ");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export function initInspectTab(probe: AdapterProbe): void {
  renderAdapter(byId("adapter-info", HTMLElement), probe);
  const select = byId("inspect-workload", HTMLSelectElement);
  const repeats = byId("inspect-repeats", HTMLInputElement);
  const run = byId("inspect-run", HTMLButtonElement);
  const fuse = byId("inspect-fuse", HTMLInputElement);
  const summary = byId("inspect-summary", HTMLElement);
  const legend = byId("inspect-legend", HTMLElement);
  const table = byId("inspect-table", HTMLTableElement);
  const timeline = new Timeline(byId("inspect-timeline", HTMLCanvasElement), byId("inspect-tooltip", HTMLElement));
  for (const w of WORKLOADS) select.append(el("option", { value: w.id }, w.title));

  if (!probe.ok) {
    run.disabled = true;
    summary.textContent = "The kernel profiler needs WebGPU (see above); the CPU interpreter has no kernels to show.";
    return;
  }
  const ctx = probe.context;
  // On CPU adapters the compiler keeps attention and layerNorm out of the matmuls (faster on
  // lavapipe); the checkbox compiles with the hardware-GPU defaults instead, to compare.
  if (!ctx.info.software) {
    fuse.checked = true;
    fuse.disabled = true;
    byId("inspect-fuse-note", HTMLElement).textContent = "(already the default on this adapter)";
  } else {
    byId("inspect-fuse-note", HTMLElement).textContent = "(the hardware-GPU defaults; off on software adapters)";
  }

  run.addEventListener("click", async () => {
    const workload = WORKLOADS.find((w) => w.id === select.value);
    const repeatCount = Number(repeats.value);
    if (!workload) return;
    if (!Number.isInteger(repeatCount) || repeatCount < 1 || repeatCount > 50) {
      setStatus(`Repeats must be a whole number from 1 to 50, got "${repeats.value}"`, "error");
      return;
    }
    run.disabled = true;
    summary.className = "note";
    let program: wg.WebGpuProgram | undefined;
    try {
      setStatus(`${workload.title}: tracing and compiling…`, "busy");
      await yieldToBrowser();
      const t0 = performance.now();
      const traced = workload.build();
      const t1 = performance.now();
      const options: wg.GpuCompileOptions = fuse.checked ? { noAttention: false, noPrologue: false } : {};
      program = await wg.compileProgram(traced, options);
      const t2 = performance.now();
      const inputs = workloadInputs(traced, workload.inputs);
      const fusion = fuse.checked ? "attention and layerNorm fused into the matmuls" : "attention and layerNorm kept out of the matmuls (software-adapter defaults)";
      const compiled = `${fusion}; traced in ${((t1 - t0) / 1000).toFixed(2)} s, compiled (fusion, WGSL, pipelines) in ${((t2 - t1) / 1000).toFixed(2)} s`;
      setStatus(`${workload.title}: running ${repeatCount} time(s)…`, "busy");
      await yieldToBrowser();
      const kernels = program.graph.kernels;
      const fuses = kernels.map((k) => fusedOps([k.plan.contraction, ...k.plan.reductions, ...k.fused, k.plan.root].flatMap((n) => (n ? [n.op] : []))));
      if (ctx.info.features.includes("timestamp-query")) {
        const timings = await program.profile(inputs, repeatCount);
        const items: TimelineKernel[] = timings.map((t, index) => ({ index, ...t, fuses: fuses[index] ?? "" }));
        const total = items.reduce((s, k) => s + k.milliseconds, 0);
        summary.textContent = `${workload.describe}. ${kernels.length} kernels, ${total.toFixed(2)} ms of GPU time (sum of per-kernel medians over ${repeatCount} run(s), each kernel in its own pass); ${compiled}.`;
        timeline.show(items);
        renderLegend(legend, items);
        renderTable(table, items, total);
      } else {
        await program.run(inputs);
        const runs: number[] = [];
        for (let r = 0; r < repeatCount; r++) {
          const s = performance.now();
          await program.run(inputs);
          runs.push(performance.now() - s);
        }
        summary.textContent =
          `${workload.describe}. ${kernels.length} kernels; a whole run took ${median(runs).toFixed(2)} ms (median of ${repeatCount}, with upload and readback); ${compiled}. ` +
          "This adapter has no timestamp-query feature, so per-kernel GPU times cannot be measured; the kernels are listed without them.";
        timeline.show([]);
        legend.replaceChildren();
        renderTable(table, kernels.map((k, index) => ({ index, name: k.name, kind: k.plan.kind, milliseconds: NaN, flops: k.flops, bytes: 0, fuses: fuses[index] ?? "" })), NaN);
      }
      setStatus(`${workload.title}: ${kernels.length} kernels ${ctx.info.features.includes("timestamp-query") ? "profiled" : "listed (no per-kernel times without timestamp-query)"}`);
    } catch (error) {
      console.error(error);
      summary.textContent = describeError(error);
      summary.className = "note error";
      setStatus(`profiling failed: ${describeError(error)}`, "error");
    } finally {
      program?.dispose();
      run.disabled = false;
    }
  });
}

function renderLegend(container: HTMLElement, kernels: readonly TimelineKernel[]): void {
  const byKind = new Map<string, { count: number; ms: number }>();
  for (const k of kernels) {
    const s = byKind.get(k.kind) ?? { count: 0, ms: 0 };
    byKind.set(k.kind, { count: s.count + 1, ms: s.ms + k.milliseconds });
  }
  container.replaceChildren(
    ...[...byKind].map(([kind, s]) => el("span", { style: `--swatch: ${KIND_COLORS[kind] ?? "#7f8c8d"}` }, `${kind}: ${s.count} kernel(s), ${s.ms.toFixed(2)} ms`)),
  );
}

/** The slowest kernels first (all of them when untimed), at most 25 rows. */
function renderTable(table: HTMLTableElement, kernels: readonly TimelineKernel[], total: number): void {
  const timed = Number.isFinite(total);
  const shown = timed ? [...kernels].sort((a, b) => b.milliseconds - a.milliseconds).slice(0, 25) : kernels.slice(0, 25);
  const num = (text: string) => el("td", { class: "num" }, text);
  const header = el(
    "tr",
    {},
    el("th", { class: "num" }, "#"),
    el("th", {}, "kernel"),
    el("th", {}, "computes"),
    el("th", { class: "num" }, "ms"),
    el("th", { class: "num" }, "share"),
    el("th", { class: "num" }, "GFLOP/s"),
    el("th", { class: "num" }, "GB/s"),
  );
  const rows = shown.map((k) => {
    const seconds = k.milliseconds / 1000;
    return el(
      "tr",
      {},
      num(String(k.index)),
      el("td", {}, k.name),
      el("td", { class: "fuses" }, k.fuses),
      num(timed ? k.milliseconds.toFixed(3) : "—"),
      num(timed ? `${((100 * k.milliseconds) / total).toFixed(1)}%` : "—"),
      num(timed && k.flops > 0 ? (k.flops / seconds / 1e9).toFixed(2) : "—"),
      num(timed ? (k.bytes / seconds / 1e9).toFixed(2) : "—"),
    );
  });
  const caption = el("caption", { class: "note" }, timed ? `the ${shown.length} slowest of ${kernels.length} kernels` : `the first ${shown.length} of ${kernels.length} kernels`);
  table.replaceChildren(caption, el("thead", {}, header), el("tbody", {}, ...rows));
}
