/**
 * @file A kernel timeline on a <canvas>: the program's kernels laid end to end in dispatch order
 * at their measured GPU times, one lane per kernel kind (matmul, conv, row reductions,
 * elementwise, attention), with a time axis; hovering a bar names the kernel and its numbers.
 */
import { fitCanvas } from "./dom.js";
import { niceStep } from "./chart.js";

export interface TimelineKernel {
  readonly index: number;
  readonly name: string;
  readonly kind: string;
  readonly milliseconds: number;
  readonly flops: number;
  readonly bytes: number;
  /** The primitives fused into the kernel, in graph order. */
  readonly fuses: string;
}

export const KIND_COLORS: Readonly<Record<string, string>> = {
  dot: "#2f6fdb",
  conv: "#8e44ad",
  attention: "#c0392b",
  row: "#1f8a4c",
  elementwise: "#e07b24",
};
const colorOf = (kind: string) => KIND_COLORS[kind] ?? "#7f8c8d";

const LEFT = 86;
const RIGHT = 12;
const TOP = 8;
const AXIS = 24;

interface Placed {
  readonly kernel: TimelineKernel;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

export function kernelDetails(k: TimelineKernel): string {
  const seconds = k.milliseconds / 1000;
  const rates = seconds > 0 ? [k.flops > 0 ? `${(k.flops / seconds / 1e9).toFixed(2)} GFLOP/s` : "", `${(k.bytes / seconds / 1e9).toFixed(2)} GB/s`].filter(Boolean).join(", ") : "";
  return `#${k.index} ${k.name}: ${k.fuses}\n${k.kind}, ${k.milliseconds.toFixed(3)} ms${rates ? `\n${rates}` : ""}`;
}

export class Timeline {
  private placed: Placed[] = [];
  private kernels: readonly TimelineKernel[] = [];

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly tooltip: HTMLElement,
  ) {
    canvas.addEventListener("mousemove", (e) => this.hover(e));
    canvas.addEventListener("mouseleave", () => (this.tooltip.hidden = true));
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  show(kernels: readonly TimelineKernel[]): void {
    this.kernels = kernels;
    this.draw();
  }

  private draw(): void {
    const { width, height, context: g } = fitCanvas(this.canvas);
    g.clearRect(0, 0, width, height);
    this.placed = [];
    if (this.kernels.length === 0) return;
    const kinds = [...new Set(this.kernels.map((k) => k.kind))].sort((a, b) => Object.keys(KIND_COLORS).indexOf(a) - Object.keys(KIND_COLORS).indexOf(b));
    const total = this.kernels.reduce((s, k) => s + k.milliseconds, 0) || 1;
    const plotW = width - LEFT - RIGHT;
    const lane = (height - TOP - AXIS) / kinds.length;
    const x = (ms: number) => LEFT + (ms / total) * plotW;

    g.font = "11px system-ui, sans-serif";
    g.textBaseline = "middle";
    g.textAlign = "right";
    kinds.forEach((kind, i) => {
      g.fillStyle = i % 2 === 0 ? "#f6f7f9" : "#ffffff";
      g.fillRect(LEFT, TOP + i * lane, plotW, lane);
      g.fillStyle = "#5f6878";
      g.fillText(kind, LEFT - 8, TOP + (i + 0.5) * lane);
    });

    let start = 0;
    for (const k of this.kernels) {
      const i = kinds.indexOf(k.kind);
      const x0 = x(start);
      // At least a pixel wide, so hundreds of tiny kernels stay visible.
      const x1 = Math.max(x(start + k.milliseconds), x0 + 1);
      const y0 = TOP + i * lane + 3;
      const y1 = TOP + (i + 1) * lane - 3;
      g.fillStyle = colorOf(k.kind);
      // A 1-px gap between neighbours wide enough to spare it, so back-to-back kernels stay apart.
      g.fillRect(x0, y0, x1 - x0 > 3 ? x1 - x0 - 1 : x1 - x0, y1 - y0);
      this.placed.push({ kernel: k, x0, x1, y0, y1 });
      start += k.milliseconds;
    }

    // time axis
    g.strokeStyle = "#b9c0cc";
    g.beginPath();
    g.moveTo(LEFT, height - AXIS + 0.5);
    g.lineTo(LEFT + plotW, height - AXIS + 0.5);
    g.stroke();
    g.fillStyle = "#5f6878";
    g.textAlign = "center";
    g.textBaseline = "top";
    const step = niceStep(total, 8);
    for (let t = 0; t <= total + 1e-9; t += step) {
      g.fillRect(x(t), height - AXIS, 1, 4);
      g.fillText(`${Number(t.toPrecision(4))} ms`, x(t), height - AXIS + 6);
    }
  }

  private hover(e: MouseEvent): void {
    const box = this.canvas.getBoundingClientRect();
    const mx = e.clientX - box.left;
    const my = e.clientY - box.top;
    // The nearest bar in the lane under the pointer (thin bars are hard to hit exactly).
    let best: Placed | undefined;
    let bestDistance = 4;
    for (const p of this.placed) {
      if (my < p.y0 || my > p.y1) continue;
      const d = mx < p.x0 ? p.x0 - mx : mx > p.x1 ? mx - p.x1 : 0;
      if (d < bestDistance) [best, bestDistance] = [p, d];
    }
    if (!best) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.textContent = kernelDetails(best.kernel);
    this.tooltip.hidden = false;
    const wrap = this.canvas.offsetParent instanceof HTMLElement ? this.canvas.offsetParent.getBoundingClientRect() : box;
    const left = Math.min(e.clientX - wrap.left + 12, wrap.width - this.tooltip.offsetWidth - 4);
    this.tooltip.style.left = `${Math.max(4, left)}px`;
    this.tooltip.style.top = `${e.clientY - wrap.top + 14}px`;
  }
}
