/**
 * @file A small line chart on a <canvas>: several named series over a shared step axis, a fixed
 * or automatic y range, dashed guide lines (chance level), a legend. Points are appended as
 * they come; drawing is batched into one requestAnimationFrame.
 */
import { fitCanvas } from "./dom.js";

export interface ChartOptions {
  /** Fixed y range; without it the range is [0, max of the data]. */
  readonly yRange?: readonly [number, number];
  readonly formatY: (y: number) => string;
  /** Horizontal dashed lines, e.g. the chance level. */
  readonly guides?: readonly { readonly y: number; readonly label: string }[];
}

interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: { x: number; y: number }[];
}

const MARGIN = { left: 48, right: 14, top: 26, bottom: 28 };

/** Round tick steps (1, 2, 5 × 10ⁿ) giving at most about `count` ticks over `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const [best] = [1, 2, 5, 10].map((m) => m * power).filter((s) => s >= raw);
  return best ?? 10 * power;
}

export class LineChart {
  private readonly series = new Map<string, Series>();
  private xMax = 1;
  private pending = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly options: ChartOptions,
  ) {
    new ResizeObserver(() => this.requestDraw()).observe(canvas);
  }

  /** Drop every series; the x axis runs to `xMax` (the planned number of steps). */
  reset(xMax: number): void {
    this.series.clear();
    this.xMax = Math.max(1, xMax);
    this.requestDraw();
  }

  /** Declare a series (in legend order) before its first point. */
  addSeries(label: string, color: string): void {
    if (!this.series.has(label)) this.series.set(label, { label, color, points: [] });
    this.requestDraw();
  }

  push(label: string, x: number, y: number): void {
    const s = this.series.get(label);
    if (!s) throw new Error(`chart: no series "${label}"`);
    s.points.push({ x, y });
    this.requestDraw();
  }

  private requestDraw(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private yRange(): [number, number] {
    if (this.options.yRange) return [this.options.yRange[0], this.options.yRange[1]];
    let max = 0;
    for (const s of this.series.values()) for (const p of s.points) if (Number.isFinite(p.y)) max = Math.max(max, p.y);
    return [0, max > 0 ? max * 1.08 : 1];
  }

  draw(): void {
    const { width, height, context: g } = fitCanvas(this.canvas);
    g.clearRect(0, 0, width, height);
    const plotW = width - MARGIN.left - MARGIN.right;
    const plotH = height - MARGIN.top - MARGIN.bottom;
    if (plotW <= 0 || plotH <= 0) return;
    const [y0, y1] = this.yRange();
    const px = (x: number) => MARGIN.left + (x / this.xMax) * plotW;
    const py = (y: number) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH;

    // grid and axes
    g.font = "11px system-ui, sans-serif";
    g.strokeStyle = "#e6e9ef";
    g.fillStyle = "#5f6878";
    g.lineWidth = 1;
    g.textAlign = "right";
    g.textBaseline = "middle";
    const yStep = niceStep(y1 - y0, 5);
    for (let y = Math.ceil(y0 / yStep) * yStep; y <= y1 + 1e-9; y += yStep) {
      g.beginPath();
      g.moveTo(MARGIN.left, Math.round(py(y)) + 0.5);
      g.lineTo(MARGIN.left + plotW, Math.round(py(y)) + 0.5);
      g.stroke();
      g.fillText(this.options.formatY(y), MARGIN.left - 6, py(y));
    }
    g.textAlign = "center";
    g.textBaseline = "top";
    const xStep = Math.max(1, niceStep(this.xMax, 8)); // steps are whole numbers
    for (let x = 0; x <= this.xMax + 1e-9; x += xStep) g.fillText(String(Math.round(x)), px(x), MARGIN.top + plotH + 6);
    g.textAlign = "right";
    g.fillText("step", MARGIN.left + plotW, MARGIN.top + plotH + 16);
    g.strokeStyle = "#b9c0cc";
    g.strokeRect(MARGIN.left + 0.5, MARGIN.top + 0.5, plotW, plotH);

    for (const guide of this.options.guides ?? []) {
      g.save();
      g.setLineDash([4, 4]);
      g.strokeStyle = "#8a93a3";
      g.beginPath();
      g.moveTo(MARGIN.left, py(guide.y));
      g.lineTo(MARGIN.left + plotW, py(guide.y));
      g.stroke();
      g.restore();
      // The label on a white patch, readable where a series crosses it.
      g.textAlign = "left";
      g.textBaseline = "bottom";
      const w = g.measureText(guide.label).width;
      g.fillStyle = "rgba(255, 255, 255, 0.85)";
      g.fillRect(MARGIN.left + 2, py(guide.y) - 15, w + 6, 13);
      g.fillStyle = "#5f6878";
      g.fillText(guide.label, MARGIN.left + 5, py(guide.y) - 2);
    }

    // series, clipped to the plot
    g.save();
    g.beginPath();
    g.rect(MARGIN.left, MARGIN.top, plotW, plotH);
    g.clip();
    g.lineWidth = 2;
    g.lineJoin = "round";
    for (const s of this.series.values()) {
      g.strokeStyle = s.color;
      g.beginPath();
      s.points.forEach((p, i) => (i === 0 ? g.moveTo(px(p.x), py(p.y)) : g.lineTo(px(p.x), py(p.y))));
      g.stroke();
      const last = s.points.at(-1);
      if (last) {
        g.fillStyle = s.color;
        g.beginPath();
        g.arc(px(last.x), py(last.y), 3, 0, 2 * Math.PI);
        g.fill();
      }
    }
    g.restore();

    // legend, above the plot
    g.textAlign = "left";
    g.textBaseline = "middle";
    let lx = MARGIN.left;
    for (const s of this.series.values()) {
      g.fillStyle = s.color;
      g.fillRect(lx, 8, 14, 4);
      g.fillStyle = "#1d2330";
      g.fillText(s.label, lx + 19, 10);
      lx += g.measureText(s.label).width + 40;
    }
  }
}
