/** The synthetic motion task: labels need time (no single frame tells them), augmentations keep labels truthful. */
import { describe, expect, it } from "vitest";
import { DIRECTIONS, flipClip, loader, makeClip, makeDataset, motionStep } from "../../src/train/data/synthetic-motion.js";
import { mulberry32 } from "../../src/dsl/random/mulberry32.js";

const o = { frames: 4, size: 16, square: 4, noise: 0 };

/** Frame t as a bright/dark mask. */
const mask = (video: Float32Array, t: number) =>
  Array.from({ length: o.size * o.size }, (_, i) => (video[(t * o.size * o.size + i) * 3]! > 0.2 ? 1 : 0));

/** The direction whose one-step roll maps frame 0 onto frame 1 (the square wraps around). */
function direction(video: Float32Array): string {
  const v = motionStep(o);
  const [a, b] = [mask(video, 0), mask(video, 1)];
  const shifts: Record<string, [number, number]> = { right: [v, 0], left: [-v, 0], down: [0, v], up: [0, -v] };
  let best = "";
  let score = -1;
  for (const [name, [dx, dy]] of Object.entries(shifts)) {
    let hits = 0;
    for (let y = 0; y < o.size; y++) {
      for (let x = 0; x < o.size; x++) {
        const sx = (((x - dx) % o.size) + o.size) % o.size;
        const sy = (((y - dy) % o.size) + o.size) % o.size;
        if (b[y * o.size + x] === 1 && a[sy * o.size + sx] === 1) hits++;
      }
    }
    if (hits > score) [best, score] = [name, hits];
  }
  return best;
}

describe("synthetic motion task", () => {
  it("each clip's square moves in its labelled direction", () => {
    const next = mulberry32(1);
    for (let k = 0; k < 40; k++) {
      const label = k % 4;
      expect(direction(makeClip(label, o, next).video)).toBe(DIRECTIONS[label]);
    }
  });

  it("a single frame cannot tell the class: per frame, the square's position is uniform for every class", () => {
    // Same square size on the same background in every class, and (on the torus) a uniform
    // start makes every frame's position uniform: count, per class and frame, how often each
    // pixel is covered; the classes' coverage maps agree within sampling noise.
    const data = makeDataset(2000, o, 3);
    for (let t = 0; t < o.frames; t++) {
      const coverage = DIRECTIONS.map((_, label) => {
        const counts = new Array<number>(o.size * o.size).fill(0);
        const clips = data.filter((c) => c.label === label);
        for (const c of clips) mask(c.video, t).forEach((m, i) => (counts[i]! += m));
        return counts.map((n) => n / clips.length);
      });
      const expected = (4 * 4) / (o.size * o.size); // square area over frame area
      for (const cov of coverage) for (const p of cov) expect(Math.abs(p - expected)).toBeLessThan(0.05);
    }
    for (const c of data) for (let t = 0; t < o.frames; t++) expect(mask(c.video, t).reduce<number>((a, b) => a + b, 0)).toBe(16);
  });

  it("flips keep labels truthful (right↔left, down↔up)", () => {
    const next = mulberry32(2);
    for (let label = 0; label < 4; label++) {
      const clip = makeClip(label, o, next);
      for (const [h, v] of [[true, false], [false, true], [true, true]] as const) {
        const flipped = flipClip(clip, o, h, v);
        expect(direction(flipped.video)).toBe(DIRECTIONS[flipped.label]);
      }
    }
  });

  it("the loader shuffles per epoch, batches fully, and is deterministic for a seed", () => {
    const data = makeDataset(10, o, 4);
    const l = loader(data, o, { batchSize: 4, seed: 7 });
    const e0 = l.epoch(0);
    expect(e0.map((b) => b.size)).toEqual([4, 4]);
    expect(e0[0]!.videos.length).toBe(4 * 4 * 16 * 16 * 3);
    expect(Array.from(l.epoch(0)[0]!.labels)).toEqual(Array.from(e0[0]!.labels));
    // Each clip has its own colour, so a batch's per-clip sums identify which clips it holds.
    const clipSize = o.frames * 16 * 16 * 3;
    const fingerprint = (n: number) => l.epoch(n).map((b) => Array.from({ length: b.size }, (_, i) => b.videos.subarray(i * clipSize, (i + 1) * clipSize).reduce((a, v) => a + v, 0).toFixed(3)).join()).join("|");
    const orders = [0, 1, 2, 3].map(fingerprint);
    expect(new Set(orders).size).toBeGreaterThan(1);
    expect(loader(data, o, { batchSize: 4, keepLast: true }).epoch(0).map((b) => b.size)).toEqual([4, 4, 2]);
  });

  it("augmented batches still carry the true direction", () => {
    const data = makeDataset(16, o, 5);
    const batches = loader(data, { ...o }, { batchSize: 8, augment: true, seed: 1 }).epoch(0);
    const clipSize = o.frames * 16 * 16 * 3;
    for (const b of batches) {
      for (let i = 0; i < b.size; i++) {
        // The brightness shift (±0.1) keeps the square (≥ 0.5) above the mask's 0.2 threshold
        // and the background (≤ −0.4) below it.
        expect(direction(b.videos.slice(i * clipSize, (i + 1) * clipSize))).toBe(DIRECTIONS[b.labels[i]!]);
      }
    }
  });
});
