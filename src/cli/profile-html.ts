/**
 * @file `wgtensor profile WORKLOAD --html FILE`: a self-contained HTML report (inline CSS and
 * SVG, nothing fetched) of a profiled program: a table of its kernels, a timeline (the kernels
 * in dispatch order, each bar starting where the previous one ended: `profile` times every
 * kernel in its own compute pass, so the bars are back to back rather than overlapping), and a
 * roofline — each kernel at its arithmetic intensity (flops / bytes of the buffers it binds)
 * and achieved GFLOP/s, under two measured roofs: the FMA peak of a microkernel and the copy
 * bandwidth of a vec4 copy (src/runtime/webgpu/peaks.ts).
 */
import type { KernelTiming } from "../dsl/backend.js";
import type { Peaks } from "../runtime/webgpu/peaks.js";

export interface ProfileReport {
  readonly title: string;
  readonly describe: string;
  readonly device: string;
  readonly repeats: number;
  readonly timings: readonly KernelTiming[];
  readonly peaks: Peaks;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A fixed colour per kernel kind (hashed into a small palette). */
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
function colour(kind: string): string {
  let h = 0;
  for (let i = 0; i < kind.length; i++) h = (h * 31 + kind.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

const fmt = (x: number, digits = 3): string => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(digits)) : "–");

function timeline(timings: readonly KernelTiming[]): string {
  const total = timings.reduce((s, t) => s + t.milliseconds, 0) || 1;
  const [left, width, row] = [200, 760, timings.length > 60 ? 8 : 16];
  const height = timings.length * row + 40;
  let start = 0;
  const bars = timings.map((t, i) => {
    const x = left + (start / total) * width;
    const w = Math.max(0.5, (t.milliseconds / total) * width);
    const y = 10 + i * row;
    const label = row >= 12 ? `<text x="${left - 6}" y="${y + row * 0.7}" text-anchor="end" class="small">${escape(t.name)}</text>` : "";
    const bar = `<rect class="kernel" x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${row - 2}" fill="${colour(t.kind)}"><title>${escape(t.name)} (${escape(t.kind)}): starts ${start.toFixed(3)} ms, ${t.milliseconds.toFixed(3)} ms</title></rect>`;
    start += t.milliseconds;
    return label + bar;
  });
  const ticks = Array.from({ length: 6 }, (_, i) => {
    const x = left + (i / 5) * width;
    return `<line x1="${x}" y1="6" x2="${x}" y2="${height - 24}" class="grid"/><text x="${x}" y="${height - 8}" text-anchor="middle" class="small">${fmt((i / 5) * total)} ms</text>`;
  });
  return `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="${left + width + 50}" height="${height}">${ticks.join("")}${bars.join("")}</svg>`;
}

function roofline(timings: readonly KernelTiming[], peaks: Peaks): string {
  const peak = peaks.fma.gflops;
  const bandwidth = peaks.copy.gbPerSecond;
  const ridge = peak / bandwidth;
  const points = timings
    .filter((t) => t.flops > 0 && t.bytes > 0 && t.milliseconds > 0)
    .map((t) => ({ t, ai: t.flops / t.bytes, gflops: t.flops / t.milliseconds / 1e6 }));
  const ais = [ridge, ...points.map((p) => p.ai)];
  const rates = [peak, ...points.map((p) => p.gflops)];
  const decade = (x: number, up: boolean) => 10 ** (up ? Math.ceil(Math.log10(x)) : Math.floor(Math.log10(x)));
  const [x0, x1] = [decade(Math.min(...ais) / 2, false), decade(Math.max(...ais) * 2, true)];
  const [y0, y1] = [decade(Math.min(...rates, bandwidth * x0) / 2, false), decade(peak * 2, true)];
  const [left, top, w, h] = [70, 20, 640, 380];
  const px = (ai: number) => left + ((Math.log10(ai) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * w;
  const py = (g: number) => top + h - ((Math.log10(Math.max(g, y0)) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * h;
  const grid: string[] = [];
  for (let e = Math.log10(x0); e <= Math.log10(x1) + 1e-9; e++) {
    const x = px(10 ** e);
    grid.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + h}" class="grid"/><text x="${x}" y="${top + h + 16}" text-anchor="middle" class="small">${fmt(10 ** e)}</text>`);
  }
  for (let e = Math.log10(y0); e <= Math.log10(y1) + 1e-9; e++) {
    const y = py(10 ** e);
    grid.push(`<line x1="${left}" y1="${y}" x2="${left + w}" y2="${y}" class="grid"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" class="small">${fmt(10 ** e)}</text>`);
  }
  // The memory roof: GFLOP/s = bandwidth · intensity, from the left edge (or where it enters the chart) to the ridge.
  const xStart = Math.max(x0, y0 / bandwidth);
  const memoryRoof = `<line id="roof-copy" x1="${px(xStart)}" y1="${py(bandwidth * xStart)}" x2="${px(ridge)}" y2="${py(peak)}" class="roof"/><text x="${px(xStart) + 6}" y="${py(bandwidth * xStart) - 8}" class="roof-label" transform="rotate(${(-Math.atan2(py(bandwidth * xStart) - py(peak), px(ridge) - px(xStart)) * 180) / Math.PI} ${px(xStart) + 6} ${py(bandwidth * xStart) - 8})">copy bandwidth ${fmt(bandwidth)} GB/s</text>`;
  const computeRoof = `<line id="roof-fma" x1="${px(ridge)}" y1="${py(peak)}" x2="${left + w}" y2="${py(peak)}" class="roof"/><text x="${left + w - 4}" y="${py(peak) - 6}" text-anchor="end" class="roof-label">FMA peak ${fmt(peak)} GFLOP/s</text>`;
  const dots = points.map(
    ({ t, ai, gflops }) =>
      `<circle class="kernel" cx="${px(ai).toFixed(2)}" cy="${py(gflops).toFixed(2)}" r="5" fill="${colour(t.kind)}"><title>${escape(t.name)} (${escape(t.kind)}): ${fmt(ai)} FLOP/byte, ${fmt(gflops)} GFLOP/s, ${fmt((100 * gflops) / Math.min(peak, bandwidth * ai))}% of the roof</title></circle>`,
  );
  const axes = `<rect x="${left}" y="${top}" width="${w}" height="${h}" class="frame"/><text x="${left + w / 2}" y="${top + h + 36}" text-anchor="middle">arithmetic intensity (FLOP/byte)</text><text x="16" y="${top + h / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + h / 2})">GFLOP/s</text>`;
  return `<svg id="roofline" xmlns="http://www.w3.org/2000/svg" width="${left + w + 20}" height="${top + h + 50}">${grid.join("")}${axes}${memoryRoof}${computeRoof}${dots.join("")}</svg>`;
}

/** The report as one HTML document. */
export function profileHtml(report: ProfileReport): string {
  const { timings, peaks } = report;
  const total = timings.reduce((s, t) => s + t.milliseconds, 0);
  const rows = timings.map((t) => {
    const gflops = t.flops > 0 ? t.flops / t.milliseconds / 1e6 : NaN;
    const roof = t.flops > 0 ? Math.min(peaks.fma.gflops, (peaks.copy.gbPerSecond * t.flops) / t.bytes) : NaN;
    return `<tr><td><span class="swatch" style="background:${colour(t.kind)}"></span>${escape(t.name)}</td><td>${escape(t.kind)}</td><td>${t.milliseconds.toFixed(3)}</td><td>${((100 * t.milliseconds) / (total || 1)).toFixed(1)}</td><td>${t.flops > 0 ? fmt(gflops) : "–"}</td><td>${fmt(t.bytes / t.milliseconds / 1e6)}</td><td>${t.flops > 0 ? fmt(t.flops / t.bytes) : "–"}</td><td>${t.flops > 0 ? fmt((100 * gflops) / roof) : "–"}</td></tr>`;
  });
  const unplotted = timings.filter((t) => !(t.flops > 0)).length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wgtensor profile: ${escape(report.title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }
td:first-child, td:nth-child(2), th:first-child, th:nth-child(2) { text-align: left; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; }
svg text { font: 12px system-ui, sans-serif; fill: #333; } svg .small { font-size: 10px; }
.grid { stroke: #e4e4e4; } .frame { fill: none; stroke: #999; }
.roof { stroke: #c00; stroke-width: 2; } .roof-label { fill: #c00; font-size: 12px; }
.kernel { stroke: #333; stroke-width: 0.5; opacity: 0.9; } .note { color: #666; }
</style></head><body>
<h1>wgtensor profile: ${escape(report.title)}</h1>
<p>${escape(report.describe)}; ${timings.length} kernel(s) on ${escape(report.device)}; median of ${report.repeats} run(s) per kernel (timestamp queries); total ${total.toFixed(3)} ms.</p>
<p>Roofs, measured on this device: <b>FMA peak ${fmt(peaks.fma.gflops)} GFLOP/s</b> (${peaks.fma.threads} threads × ${peaks.fma.iterations} iterations × ${peaks.fma.chains} independent vec4 fma chains, ${peaks.fma.milliseconds.toFixed(3)} ms) and <b>copy bandwidth ${fmt(peaks.copy.gbPerSecond)} GB/s</b> (vec4 copy, ${(peaks.copy.bytes / 1e6).toFixed(1)} MB read + written, ${peaks.copy.milliseconds.toFixed(3)} ms); ridge at ${fmt(peaks.fma.gflops / peaks.copy.gbPerSecond)} FLOP/byte.</p>
<h2>Kernels</h2>
<table><thead><tr><th>kernel</th><th>kind</th><th>ms</th><th>% time</th><th>GFLOP/s</th><th>GB/s</th><th>FLOP/byte</th><th>% of roof</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table>
<p class="note">Bytes count each buffer a kernel binds once (a lower bound on its traffic), so the intensity is an upper bound.</p>
<h2>Timeline</h2>
<p class="note">Dispatch order; each kernel is timed in its own compute pass, so the bars are placed back to back (cumulative GPU time).</p>
${timeline(timings)}
<h2>Roofline</h2>
${unplotted > 0 ? `<p class="note">${unplotted} kernel(s) without floating-point work (copies, gathers) are not plotted.</p>` : ""}
${roofline(timings, peaks)}
</body></html>
`;
}
