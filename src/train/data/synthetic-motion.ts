/**
 * @file A synthetic video task whose label no single frame can tell: a square moves across a
 * noisy background in one of four directions (right, left, down, up), wrapping around the edges
 * (a torus). The start is uniform over the whole frame, so in every frame the square's position
 * is uniform whatever the class: only the order of frames gives the direction. Clips are
 * [T, H, W, 3] float32, channels-last, values roughly in [−1, 1]; deterministic for a seed.
 *
 * The loader shuffles, batches and augments. Augmentations keep the label truthful: a
 * horizontal flip swaps right and left, a vertical flip swaps down and up, and a brightness
 * shift changes nothing about the motion.
 */
import { mulberry32 } from "../../dsl/random/mulberry32.js";

export const DIRECTIONS = ["right", "left", "down", "up"] as const;
export type Direction = (typeof DIRECTIONS)[number];

export interface MotionTaskOptions {
  readonly frames: number;
  readonly size: number;
  /** Side of the square in pixels. */
  readonly square?: number;
  /** Standard deviation-ish amplitude of the background noise. */
  readonly noise?: number;
}

export interface Clip {
  readonly video: Float32Array;
  readonly label: number;
}

/** One clip of class `label`, drawn from `next` (a uniform [0, 1) generator). */
export function makeClip(label: number, o: MotionTaskOptions, next: () => number): Clip {
  const { frames: T, size: S } = o;
  const side = o.square ?? Math.max(2, Math.floor(S / 4));
  const noise = o.noise ?? 0.1;
  const v = motionStep(o);
  const horizontal = label < 2;
  const sign = label % 2 === 0 ? 1 : -1;
  const x0 = Math.floor(next() * S);
  const y0 = Math.floor(next() * S);
  const colour = [0.5 + 0.5 * next(), 0.5 + 0.5 * next(), 0.5 + 0.5 * next()];
  const video = new Float32Array(T * S * S * 3);
  for (let i = 0; i < video.length; i++) video[i] = (next() * 2 - 1) * noise - 0.5;
  for (let t = 0; t < T; t++) {
    const [cx, cy] = horizontal ? [x0 + sign * v * t, y0] : [x0, y0 + sign * v * t];
    for (let dy = 0; dy < side; dy++) {
      for (let dx = 0; dx < side; dx++) {
        const x = (((cx + dx) % S) + S) % S;
        const y = (((cy + dy) % S) + S) % S;
        const base = ((t * S + y) * S + x) * 3;
        for (let c = 0; c < 3; c++) video[base + c] = colour[c]!;
      }
    }
  }
  return { video, label };
}

/** Pixels the square moves per frame. */
export function motionStep(o: MotionTaskOptions): number {
  return Math.max(1, Math.floor(o.size / (2 * o.frames)));
}

/** A fixed dataset of `count` clips, classes balanced. */
export function makeDataset(count: number, o: MotionTaskOptions, seed: number): Clip[] {
  const next = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => makeClip(i % DIRECTIONS.length, o, next));
}

/** Flip horizontally (swaps right/left) and/or vertically (swaps down/up), in a copy. */
export function flipClip(clip: Clip, o: MotionTaskOptions, horizontal: boolean, vertical: boolean): Clip {
  const { frames: T, size: S } = o;
  const out = new Float32Array(clip.video.length);
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const sy = vertical ? S - 1 - y : y;
        const sx = horizontal ? S - 1 - x : x;
        const src = ((t * S + sy) * S + sx) * 3;
        const dst = ((t * S + y) * S + x) * 3;
        out[dst] = clip.video[src]!;
        out[dst + 1] = clip.video[src + 1]!;
        out[dst + 2] = clip.video[src + 2]!;
      }
    }
  }
  let label = clip.label;
  if (horizontal && label < 2) label ^= 1;
  if (vertical && label >= 2) label = 2 + ((label - 2) ^ 1);
  return { video: out, label };
}

export interface Batch {
  /** [B, T, H, W, 3] */
  readonly videos: Float32Array;
  readonly labels: Int32Array;
  readonly size: number;
}

export interface LoaderOptions {
  readonly batchSize: number;
  readonly shuffle?: boolean;
  readonly augment?: boolean;
  readonly seed?: number;
  /** Keep the last, smaller batch (default false: every batch is full, so one compiled step fits all). */
  readonly keepLast?: boolean;
}

/** One epoch of batches; a new permutation and new augmentations each call of `epoch(n)`. */
export function loader(data: readonly Clip[], o: MotionTaskOptions, l: LoaderOptions): { epoch: (n: number) => Batch[] } {
  const clipSize = o.frames * o.size * o.size * 3;
  return {
    epoch(n) {
      const next = mulberry32(((l.seed ?? 0) * 0x9e3779b1 + n) >>> 0);
      const order = data.map((_, i) => i);
      if (l.shuffle ?? true) {
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(next() * (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
      }
      const batches: Batch[] = [];
      for (let s = 0; s < order.length; s += l.batchSize) {
        const ids = order.slice(s, s + l.batchSize);
        if (ids.length < l.batchSize && !l.keepLast) break;
        const videos = new Float32Array(ids.length * clipSize);
        const labels = new Int32Array(ids.length);
        ids.forEach((id, b) => {
          let clip = data[id]!;
          if (l.augment) {
            clip = flipClip(clip, o, next() < 0.5, next() < 0.5);
            const shift = (next() * 2 - 1) * 0.1;
            const shifted = new Float32Array(clip.video.length);
            for (let i = 0; i < shifted.length; i++) shifted[i] = clip.video[i]! + shift;
            clip = { video: shifted, label: clip.label };
          }
          videos.set(clip.video, b * clipSize);
          labels[b] = clip.label;
        });
        batches.push({ videos, labels, size: ids.length });
      }
      return batches;
    },
  };
}
