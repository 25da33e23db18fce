/**
 * @file Synthetic-motion clips, animated: each clip's frames as ImageData on a small canvas
 * (T×S×S, one pixel per pixel), scaled up by CSS with nearest-neighbour sampling, with the true
 * label and each model's prediction underneath. One requestAnimationFrame loop drives them all.
 */
import { el } from "./dom.js";

export interface ClipView {
  /** [T, S, S, 3] channels-last, values roughly in [−1, 1]. */
  readonly video: Float32Array;
  readonly truth: string;
  readonly predictions: readonly { readonly model: string; readonly label: string; readonly probability: number; readonly correct: boolean }[];
}

const FRAME_MS = 250;

/** Frame t of a clip as RGBA: value v ↦ (v + 1)/2 · 255, clamped. */
export function frameImage(video: Float32Array, t: number, size: number): ImageData {
  const image = new ImageData(size, size);
  const base = t * size * size * 3;
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) image.data[4 * p + c] = Math.max(0, Math.min(255, Math.round(((video[base + 3 * p + c]! + 1) / 2) * 255)));
    image.data[4 * p + 3] = 255;
  }
  return image;
}

export class ClipGallery {
  private tiles: { context: CanvasRenderingContext2D; frames: ImageData[] }[] = [];
  private shownFrame = -1;
  private running = false;

  constructor(
    private readonly container: HTMLElement,
    private readonly frames: number,
    private readonly size: number,
  ) {}

  show(clips: readonly ClipView[]): void {
    this.container.replaceChildren();
    this.tiles = clips.map((clip, i) => {
      const canvas = el("canvas", { width: String(this.size), height: String(this.size), "aria-label": `held-out clip ${i}: ${clip.truth}` });
      const context = canvas.getContext("2d");
      if (!context) throw new Error("no 2D canvas context");
      const predictions = clip.predictions.map((p) =>
        el("div", { class: `pred ${p.correct ? "right" : "wrong"}` }, `${p.model}: ${p.label} (${(100 * p.probability).toFixed(0)}%) ${p.correct ? "✓" : "✗"}`),
      );
      this.container.append(el("div", { class: "clip" }, canvas, el("div", { class: "truth" }, `moving ${clip.truth}`), ...predictions));
      return { context, frames: Array.from({ length: this.frames }, (_, t) => frameImage(clip.video, t, this.size)) };
    });
    this.shownFrame = -1;
    if (!this.running && this.tiles.length > 0) {
      this.running = true;
      requestAnimationFrame((now) => this.tick(now));
    }
  }

  private tick(now: number): void {
    if (this.tiles.length === 0) {
      this.running = false;
      return;
    }
    const t = Math.floor(now / FRAME_MS) % this.frames;
    if (t !== this.shownFrame) {
      this.shownFrame = t;
      for (const tile of this.tiles) tile.context.putImageData(tile.frames[t]!, 0, 0);
    }
    requestAnimationFrame((next) => this.tick(next));
  }
}
