/**
 * `wgtensor classify`: the official test-time preprocessing as pure functions (sparse sampling,
 * short-side bilinear resize, uniform crops, normalisation, views), the classification core on
 * a tiny random UniFormerV2 on the CPU interpreter, the ffmpeg decoder against stub ffmpeg /
 * ffprobe programs (so its parsing and streaming run without ffmpeg), and, where ffmpeg is
 * installed, against a real synthetic video.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { webgpuBackend } from "../../src/runtime/webgpu/jit.js";
import { parseViews } from "../../src/cli/classify.js";
import { autoBatch, bytesPerView, classifyFrames, softmax, topK } from "../../src/models/uniformerv2/classify.js";
import { fromOfficialArgs, initParams, preset, saveWeights } from "../../src/models/uniformerv2/index.js";
import { decodeFrames, probeVideo, readVideo } from "../../src/models/uniformerv2/ffmpeg.js";
import { defaultLabels, KINETICS_400, parseLabels, readLabels } from "../../src/models/uniformerv2/labels.js";
import {
  buildViews,
  cropOffset,
  FFMPEG_MISSING,
  framesFromArray,
  neededFrames,
  normalise,
  resize,
  resizeShortSide,
  roundHalfEven,
  shortSideSize,
  sparseSampleIndices,
  spatialCrops,
  VideoError,
  type Image,
} from "../../src/models/uniformerv2/video.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { describeGpu } from "../gpu/harness.js";

const tmp = mkdtempSync(path.join(tmpdir(), "wgtensor-classify-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("sparseSampleIndices (official get_seq_frames)", () => {
  it("reproduces the official indices, numpy rounding (ties to even) included", () => {
    // 300 frames, 8 per clip, 4 clips: segments of 299/8 = 37.375 frames, offsets ⌊7.475·(k+1)⌋.
    expect(sparseSampleIndices(300, 8, 4, 0)).toEqual([7, 44, 82, 119, 157, 194, 231, 269]);
    expect(sparseSampleIndices(300, 8, 4, 3)).toEqual([29, 66, 104, 141, 179, 216, 253, 291]);
    // 11 frames, 4 per clip, 1 clip: starts round(2.5·i) = 0, 2 (not 3), 5, 8 (7.5 → 8); offset ⌊1.25⌋.
    expect(sparseSampleIndices(11, 4, 1, 0)).toEqual([1, 3, 6, 9]);
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 0, 2, 3]);
  });

  it("covers the whole video: one index per segment, in order, within bounds", () => {
    for (const frameCount of [8, 9, 31, 64, 250, 301, 1000]) {
      for (const clips of [1, 2, 4]) {
        const seg = (frameCount - 1) / 8;
        for (let k = 0; k < clips; k++) {
          const idx = sparseSampleIndices(frameCount, 8, clips, k);
          expect(idx).toHaveLength(8);
          idx.forEach((v, i) => {
            expect(v).toBeGreaterThanOrEqual(Math.floor(seg * i));
            expect(v).toBeLessThanOrEqual(Math.min(frameCount - 1, Math.ceil(seg * (i + 1))));
            if (i > 0) expect(v).toBeGreaterThanOrEqual(idx[i - 1]!);
          });
          expect(idx[0]!).toBeLessThanOrEqual(Math.ceil(seg));
          expect(idx[7]!).toBeGreaterThanOrEqual(Math.floor(frameCount - 1 - seg));
        }
      }
    }
  });

  it("shifts later clips further into each segment; one clip takes the segments' middles", () => {
    const clips = [0, 1, 2, 3].map((k) => sparseSampleIndices(300, 8, 4, k));
    for (let k = 1; k < 4; k++) clips[k]!.forEach((v, i) => expect(v).toBeGreaterThan(clips[k - 1]![i]!));
    expect(new Set(clips.map((c) => c.join())).size).toBe(4);
    expect(sparseSampleIndices(300, 8, 1, 0)).toEqual([18, 55, 93, 130, 168, 205, 242, 280]);
  });

  it("handles videos shorter than a clip and rejects bad arguments", () => {
    expect(sparseSampleIndices(1, 8, 4, 2)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const short = sparseSampleIndices(3, 8, 1, 0);
    expect(short.every((v) => v >= 0 && v <= 2)).toBe(true);
    expect(() => sparseSampleIndices(0, 8, 1, 0)).toThrow(VideoError);
    expect(() => sparseSampleIndices(10, 8, 4, 4)).toThrow(/clipIndex/);
    expect(() => sparseSampleIndices(10, 0, 1, 0)).toThrow(/frames/);
    expect(neededFrames(300, 8, 4)).toHaveLength(32);
  });
});

/** A w×h RGB image with value f(x, y, channel). */
function image(w: number, h: number, f: (x: number, y: number, c: number) => number): Float32Array {
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = f(x, y, c);
  return out;
}

const at = (img: Image, x: number, y: number, c = 0) => img.data[(y * img.width + x) * 3 + c]!;

describe("resize (bilinear, align_corners=False) and resizeShortSide", () => {
  it("matches PyTorch on a 1-D gradient, down and up", () => {
    const down = resize(image(8, 1, (x) => x), 8, 1, 4, 1);
    expect(Array.from({ length: 4 }, (_, x) => at(down, x, 0))).toEqual([0.5, 2.5, 4.5, 6.5]);
    const up = resize(image(4, 1, (x) => x), 4, 1, 8, 1);
    expect(Array.from({ length: 8 }, (_, x) => at(up, x, 0))).toEqual([0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]);
  });

  it("keeps a 2-D linear gradient linear (at the source coordinates) in every channel", () => {
    const [w, h] = [64, 48];
    const f = (x: number, y: number, c: number) => 10 + 2 * x + 3 * y + 50 * c;
    const out = resizeShortSide(image(w, h, f), w, h, 32);
    expect([out.width, out.height]).toEqual([42, 32]); // ⌊64/48 · 32⌋ = 42
    const sx = w / 42;
    const sy = h / 32;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 42; x++) {
        const srcX = Math.min(Math.max(sx * (x + 0.5) - 0.5, 0), w - 1);
        const srcY = Math.min(Math.max(sy * (y + 0.5) - 0.5, 0), h - 1);
        for (let c = 0; c < 3; c++) expect(at(out, x, y, c)).toBeCloseTo(f(srcX, srcY, c), 3);
      }
    }
  });

  it("scales the short side, keeps the aspect ratio, and leaves a right-sized frame alone", () => {
    expect(shortSideSize(64, 48, 32)).toEqual({ width: 42, height: 32 });
    expect(shortSideSize(48, 64, 32)).toEqual({ width: 32, height: 42 });
    expect(shortSideSize(340, 256, 224)).toEqual({ width: 297, height: 224 });
    expect(shortSideSize(40, 40, 32)).toEqual({ width: 32, height: 32 });
    const same = image(50, 32, (x, y) => x * y);
    const out = resizeShortSide(Uint8Array.from(same.map((v) => v % 256)), 50, 32, 32);
    expect([out.width, out.height]).toEqual([50, 32]);
    expect(out.data).toEqual(Float32Array.from(same.map((v) => v % 256)));
    expect(() => resize(new Float32Array(5), 2, 2, 1, 1)).toThrow(VideoError);
  });
});

describe("spatial crops (official uniform_crop)", () => {
  it("takes left / centre / right along a wide frame and top / centre / bottom along a tall one", () => {
    expect([0, 1, 2].map((i) => cropOffset(42, 32, 32, i))).toEqual([{ x: 0, y: 0 }, { x: 5, y: 0 }, { x: 10, y: 0 }]);
    expect([0, 1, 2].map((i) => cropOffset(32, 43, 32, i))).toEqual([{ x: 0, y: 0 }, { x: 0, y: 6 }, { x: 0, y: 11 }]);
    expect([0, 1, 2].map((i) => cropOffset(32, 32, 32, i))).toEqual([{ x: 0, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 0 }]);
    expect(() => cropOffset(30, 40, 32, 1)).toThrow(/cannot crop/);
    expect(() => cropOffset(40, 40, 32, 3)).toThrow(/0, 1 or 2/);
  });

  it("copies the right pixels: 3 crops, or the centre one", () => {
    const img: Image = { data: image(42, 32, (x, y, c) => 1000 * c + 100 * y + x), width: 42, height: 32 };
    const crops = spatialCrops(img, 32, 3);
    expect(crops).toHaveLength(3);
    crops.forEach((cropped, i) => {
      const x0 = [0, 5, 10][i]!;
      expect(cropped).toHaveLength(32 * 32 * 3);
      expect(cropped[0]).toBe(x0);
      expect(cropped[(7 * 32 + 31) * 3 + 2]).toBe(2000 + 700 + x0 + 31);
    });
    const [centre, ...rest] = spatialCrops(img, 32, 1);
    expect(rest).toEqual([]);
    expect(centre).toEqual(crops[1]);
  });
});

describe("normalise and views", () => {
  it("maps bytes to (x/255 − 0.45)/0.225", () => {
    const out = normalise(Uint8Array.from([0, 255, 128, 115]));
    expect(out[0]).toBeCloseTo(-2, 6);
    expect(out[1]).toBeCloseTo(0.55 / 0.225, 5);
    expect(out[2]).toBeCloseTo((128 / 255 - 0.45) / 0.225, 6);
    expect(out[3]).toBeCloseTo((115 / 255 - 0.45) / 0.225, 6);
    expect(normalise([114.75])[0]).toBeCloseTo(0, 6);
  });

  it("builds crops × clips views, clip-major, [T, size, size, 3] from the sampled frames", () => {
    // Frame i: every byte i, except a marker column whose x says which crop we got.
    const [w, h, n] = [64, 48, 40];
    const frames = Array.from({ length: n }, (_, i) => Uint8Array.from(image(w, h, () => i)));
    const video = framesFromArray(frames, w, h);
    const views = buildViews(video, 4, 32, { crops: 3, clips: 4 });
    expect(views).toHaveLength(12);
    expect(views.map((v) => [v.clip, v.crop])).toEqual([0, 1, 2, 3].flatMap((k) => [[k, 0], [k, 1], [k, 2]]));
    for (const v of views) {
      expect(v.data).toHaveLength(4 * 32 * 32 * 3);
      expect(v.frameIndices).toEqual(sparseSampleIndices(n, 4, 4, v.clip));
      v.frameIndices.forEach((fi, t) => {
        const plane = v.data.subarray(t * 32 * 32 * 3, (t + 1) * 32 * 32 * 3);
        expect(plane[0]).toBeCloseTo((fi / 255 - 0.45) / 0.225, 5);
        expect(plane[plane.length - 1]).toBeCloseTo((fi / 255 - 0.45) / 0.225, 5);
      });
    }
    // Crops differ on a horizontal gradient.
    const gradient = framesFromArray([Uint8Array.from(image(w, h, (x) => 4 * x))], w, h);
    const [left, centre, right] = buildViews(gradient, 2, 32, { crops: 3, clips: 1 }).map((v) => v.data[0]!);
    expect(left!).toBeLessThan(centre!);
    expect(centre!).toBeLessThan(right!);
    expect(buildViews(gradient, 2, 32, { crops: 1, clips: 1 })).toHaveLength(1);
    expect(() => framesFromArray([new Uint8Array(10)], w, h)).toThrow(/bytes/);
  });
});

describe("labels", () => {
  it("has the 400 Kinetics classes in the standard (alphabetical) order", () => {
    expect(KINETICS_400).toHaveLength(400);
    expect(new Set(KINETICS_400).size).toBe(400);
    expect([KINETICS_400[0], KINETICS_400[1], KINETICS_400[199], KINETICS_400[232], KINETICS_400[399]]).toEqual(["abseiling", "air drumming", "motorcycling", "playing guitar", "zumba"]);
    const sorted = [...KINETICS_400].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    expect(sorted).toEqual(KINETICS_400);
    expect(defaultLabels(400)).toBe(KINETICS_400);
    expect(defaultLabels(3)).toEqual(["class 0", "class 1", "class 2"]);
  });

  it("reads a label file, one name per line, checking the count", () => {
    expect(parseLabels("a\r\n b \n\nc\n")).toEqual(["a", "b", "c"]);
    const file = path.join(tmp, "labels.txt");
    writeFileSync(file, "run\njump\nswim\n");
    expect(readLabels(file, 3)).toEqual(["run", "jump", "swim"]);
    expect(() => readLabels(file, 5)).toThrow(/3 label\(s\), but the model has 5 classes/);
    expect(() => readLabels(path.join(tmp, "missing.txt"))).toThrow(/cannot read the label file/);
  });
});

describe("classification helpers", () => {
  it("parses views, softmaxes, ranks, and picks a batch size", () => {
    expect(parseViews("3x4")).toEqual({ crops: 3, clips: 4 });
    expect(parseViews("1x1")).toEqual({ crops: 1, clips: 1 });
    expect(() => parseViews("2x4")).toThrow(/--views/);
    expect(() => parseViews("3x0")).toThrow(/--views/);
    const p = softmax([1000, 1000, 999]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[0]).toBeCloseTo(p[1]!, 12);
    expect(topK([0.1, 0.5, 0.2, 0.5], 3, ["a", "b", "c", "d"]).map((q) => q.label)).toEqual(["b", "d", "c"]);
    expect(autoBatch(12, 100, 1e9)).toBe(12);
    expect(autoBatch(12, 100, 500)).toBe(4);
    expect(autoBatch(12, 100, 10)).toBe(1);
    // B/16 at 8×224²: the backbone MLP's hidden layer, 8·197·3072 floats, is the largest.
    expect(bytesPerView(preset("b16-k400"))).toBe(8 * 197 * 3072 * 4);
  });
});

const tinyConfig = fromOfficialArgs({
  input_resolution: 32,
  patch_size: 16,
  width: 32,
  layers: 2,
  heads: 2,
  t_size: 4,
  temporal_downsample: false,
  no_lmhra: true,
  return_list: [0, 1],
  n_layers: 2,
  n_dim: 32,
  n_head: 2,
  num_classes: 5,
  mlp_dropout: [0, 0],
  cls_dropout: 0,
});

describe("classifyFrames on a tiny random UniFormerV2 (CPU interpreter)", () => {
  const params = initParams(tinyConfig, Key.fromSeed(7));
  // 30 frames of 48×40 moving colour patterns.
  const frames = Array.from({ length: 30 }, (_, t) => Uint8Array.from(image(48, 40, (x, y, c) => (37 * c + 5 * x + 3 * y + 11 * t) % 256)));
  const video = framesFromArray(frames, 48, 40);
  const labels = ["a", "b", "c", "d", "e"];

  it("averages the 12 views' softmax scores into a distribution and ranks the top k", async () => {
    const lines: string[] = [];
    const r = await classifyFrames(video, tinyConfig, params, { views: { crops: 3, clips: 4 }, top: 3, labels, log: (l) => lines.push(l) });
    expect(r.views).toBe(12);
    expect(r.viewScores).toHaveLength(12);
    for (const s of r.viewScores) expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(r.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    for (let c = 0; c < 5; c++) expect(r.scores[c]).toBeCloseTo(r.viewScores.reduce((a, s) => a + s[c]!, 0) / 12, 12);
    expect(r.top).toHaveLength(3);
    for (let i = 1; i < 3; i++) expect(r.top[i]!.probability).toBeLessThanOrEqual(r.top[i - 1]!.probability);
    expect(r.top[0]!.probability).toBe(Math.max(...r.scores));
    expect(r.top.map((p) => p.label)).toEqual(r.top.map((p) => labels[p.index]));
    // The views differ, so their scores do.
    expect(new Set(r.viewScores.map((s) => s[0]!.toFixed(9))).size).toBeGreaterThan(1);
    expect(lines.some((l) => l.startsWith("views: 12"))).toBe(true);
    expect(lines.filter((l) => l.startsWith("forward "))).toHaveLength(12);
  });

  it("gives the same scores whether views are batched or not, and runs 1x1", async () => {
    const one = await classifyFrames(video, tinyConfig, params, { views: { crops: 3, clips: 2 }, labels, batch: 1 });
    const all = await classifyFrames(video, tinyConfig, params, { views: { crops: 3, clips: 2 }, labels, batch: 6 });
    expect(all.batch).toBe(6);
    one.scores.forEach((s, i) => expect(all.scores[i]).toBeCloseTo(s, 6));
    const single = await classifyFrames(video, tinyConfig, params, { views: { crops: 1, clips: 1 }, labels });
    expect(single.views).toBe(1);
    expect(single.scores).toEqual(single.viewScores[0]);
    await expect(classifyFrames(video, tinyConfig, params, { labels: ["x"] })).rejects.toThrow(/1 label\(s\) for a model with 5 classes/);
  });
});

describeGpu("classifyFrames on WebGPU", () => {
  it("matches the CPU interpreter, the views batched by the device's limits", async () => {
    const params = initParams(tinyConfig, Key.fromSeed(11));
    const frames = Array.from({ length: 16 }, (_, t) => Uint8Array.from(image(40, 56, (x, y, c) => (29 * c + 7 * x + 2 * y + 13 * t) % 256)));
    const video = framesFromArray(frames, 40, 56);
    const views = { crops: 3, clips: 2 } as const;
    const cpu = await classifyFrames(video, tinyConfig, params, { views });
    const gpu = await classifyFrames(video, tinyConfig, params, { views, backend: webgpuBackend });
    expect(gpu.batch).toBe(6);
    gpu.viewScores.forEach((s, v) => s.forEach((p, c) => expect(Math.abs(p - cpu.viewScores[v]![c]!), `view ${v} class ${c}`).toBeLessThan(1e-5)));
    expect(gpu.top.map((p) => p.index)).toEqual(cpu.top.map((p) => p.index));
  });
});

// ---------------------------------------------------------------- decoding, with stub programs

/**
 * Stub ffprobe/ffmpeg: the "video" is a JSON file {width, height, frames, headerFrames?,
 * rotation?}; ffmpeg writes frame i as bytes all equal to i % 256 and checks the options it
 * gets; a file that is not JSON fails as ffmpeg does on a bad file.
 */
function stubPrograms(): string {
  const dir = mkdtempSync(path.join(tmp, "bin-"));
  const prelude = `#!${process.execPath}
const fs = require("fs");
const args = process.argv.slice(2);
const bad = (file) => { process.stderr.write(file + ": Invalid data found when processing input\\n"); process.exit(1); };
const load = (file) => { try { return JSON.parse(fs.readFileSync(file, "utf8")); } catch { bad(file); } };
`;
  writeFileSync(
    path.join(dir, "ffprobe"),
    `${prelude}const spec = load(args[args.length - 1]);
if (args.includes("-count_frames")) { console.log(JSON.stringify({ streams: [{ nb_read_frames: String(spec.frames) }] })); process.exit(0); }
const stream = { codec_name: "stub", width: spec.width, height: spec.height, avg_frame_rate: "10/1" };
if (spec.headerFrames !== null) stream.nb_frames = String(spec.headerFrames ?? spec.frames);
if (spec.rotation) stream.side_data_list = [{ side_data_type: "Display Matrix", rotation: spec.rotation }];
console.log(JSON.stringify({ streams: [stream], format: { duration: String(spec.frames / 10) } }));
`,
  );
  writeFileSync(
    path.join(dir, "ffmpeg"),
    `${prelude}const spec = load(args[args.indexOf("-i") + 1]);
const want = [["-pix_fmt", "rgb24"], ["-f", "rawvideo"], ["-vsync", "passthrough"], ["-vf", "scale=" + spec.width + ":" + spec.height]];
for (const [k, v] of want) if (args[args.indexOf(k) + 1] !== v) { process.stderr.write("stub: expected " + k + " " + v + "\\n"); process.exit(2); }
const bytes = spec.width * spec.height * 3;
let i = 0;
process.stdout.on("error", () => process.exit(0));
const next = () => { while (i < spec.frames) { const ok = process.stdout.write(Buffer.alloc(bytes, i % 256)); i++; if (!ok) { process.stdout.once("drain", next); return; } } };
next();
`,
  );
  chmodSync(path.join(dir, "ffprobe"), 0o755);
  chmodSync(path.join(dir, "ffmpeg"), 0o755);
  return path.join(dir, "ffmpeg");
}

describe("decoding (stub ffmpeg/ffprobe programs)", () => {
  const ffmpeg = stubPrograms();
  const video = (name: string, spec: object) => {
    const file = path.join(tmp, name);
    writeFileSync(file, JSON.stringify(spec));
    return file;
  };

  it("probes, decodes only the sampled frames, and builds views from them", async () => {
    const file = video("clip.mp4", { width: 64, height: 48, frames: 50 });
    const info = probeVideo(file, { ffmpeg });
    expect(info).toMatchObject({ width: 64, height: 48, frameCount: 50, frameCountSource: "header", fps: 10, duration: 5, codec: "stub", rotation: 0 });
    const { video: frames, decode } = await readVideo(file, 4, 4, { ffmpeg });
    const needed = neededFrames(50, 4, 4);
    expect([...decode.frames.keys()].sort((a, b) => a - b)).toEqual(needed);
    for (const i of needed) expect(frames.frame(i).every((b) => b === i)).toBe(true);
    const absent = Array.from({ length: 50 }, (_, i) => i).find((i) => !needed.includes(i))!;
    expect(() => frames.frame(absent)).toThrow(/frame \d+ is not available/);
    const views = buildViews(frames, 4, 32, { crops: 3, clips: 4 });
    expect(views).toHaveLength(12);
    expect(views[0]!.data[0]).toBeCloseTo((needed[0]! / 255 - 0.45) / 0.225, 5);
  });

  it("stops ffmpeg once the last needed frame has arrived", async () => {
    const file = video("long.mp4", { width: 32, height: 32, frames: 500 });
    const r = await decodeFrames(file, { width: 32, height: 32 }, [0, 2, 4], { ffmpeg });
    expect(r.stoppedEarly).toBe(true);
    expect(r.decoded).toBe(5);
    expect([...r.frames.keys()]).toEqual([0, 2, 4]);
    expect(r.frames.get(4)!.every((b) => b === 4)).toBe(true);
  });

  it("counts frames when the header has no count, and re-samples when the header overstates it", async () => {
    const webm = video("nocount.webm", { width: 32, height: 32, frames: 20, headerFrames: null });
    expect(probeVideo(webm, { ffmpeg })).toMatchObject({ frameCount: 20, frameCountSource: "counted" });
    const liar = video("short.mp4", { width: 32, height: 32, frames: 20, headerFrames: 30 });
    const r = await readVideo(liar, 8, 1, { ffmpeg });
    expect(r.info.frameCount).toBe(20);
    expect(r.video.frameCount).toBe(20);
    for (const i of sparseSampleIndices(20, 8, 1, 0)) expect(r.video.frame(i)[0]).toBe(i);
    // decodeFrames alone clamps indices past the end to the last frame.
    const clamped = await decodeFrames(liar, { width: 32, height: 32 }, [3, 25, 29], { ffmpeg });
    expect(clamped.clamped).toEqual([25, 29]);
    expect(clamped.frames.get(29)![0]).toBe(19);
  });

  it("applies the display rotation to the decoded size", () => {
    const file = video("phone.mp4", { width: 64, height: 48, frames: 5, rotation: -90 });
    expect(probeVideo(file, { ffmpeg })).toMatchObject({ width: 48, height: 64, rotation: -90 });
  });

  it("names the file and quotes ffmpeg's message for a bad file", async () => {
    const file = path.join(tmp, "garbage.mp4");
    writeFileSync(file, "not a video");
    expect(() => probeVideo(file, { ffmpeg })).toThrow(/garbage\.mp4: ffprobe cannot read this file \(exit 1\):\n {2}.*Invalid data found when processing input/);
    await expect(decodeFrames(file, { width: 8, height: 8 }, [0], { ffmpeg })).rejects.toThrow(/garbage\.mp4: ffmpeg cannot decode this file \(exit 1\):\n {2}.*Invalid data found/);
    expect(() => probeVideo(path.join(tmp, "nowhere.mp4"), { ffmpeg })).toThrow(/nowhere\.mp4: no such file/);
  });

  it("says how to install ffmpeg when the program is missing", async () => {
    const file = video("any.mp4", { width: 8, height: 8, frames: 1 });
    const missing = { ffmpeg: path.join(tmp, "no-such-dir", "ffmpeg") };
    expect(() => probeVideo(file, missing)).toThrow(FFMPEG_MISSING);
    await expect(decodeFrames(file, { width: 8, height: 8 }, [0], missing)).rejects.toThrow(FFMPEG_MISSING);
    expect(FFMPEG_MISSING).toBe("ffmpeg not found: install it (Debian: apt-get install ffmpeg)");
  });

  it("wgtensor classify: usage, and a clear error for a checkpoint of another variant", async () => {
    const lines: string[] = [];
    expect(await main(["classify", "--help"], (l) => lines.push(l))).toBe(0);
    expect(lines.join("\n")).toMatch(/--views CxK/);
    lines.length = 0;
    expect(await main(["help"], (l) => lines.push(l))).toBe(0);
    expect(lines.join("\n")).toMatch(/classify --preset b16-k400/);
    await expect(main(["classify", "--preset", "b99", "--weights", "w", "--video", "v"])).rejects.toThrow(/unknown preset "b99"/);
    await expect(main(["classify", "--preset", "b16-k400", "--video", "v"])).rejects.toThrow(/--weights is required/);
    await expect(main(["classify", "--preset", "b16-k400", "--weights", "w", "--video", "v", "--views", "5x5"])).rejects.toThrow(/--views/);
    // A tiny model's checkpoint given as B/16's: the decode runs (stub ffmpeg), the weights fail.
    const ckpt = path.join(tmp, "tiny.safetensors");
    saveWeights(tinyConfig, initParams(tinyConfig, Key.fromSeed(1)), ckpt);
    const file = video("cli.mp4", { width: 64, height: 48, frames: 40 });
    const log: string[] = [];
    await expect(
      main(["classify", "--preset", "b16-k400", "--weights", ckpt, "--video", file, "--backend", "cpu", "--views", "1x1", "--ffmpeg", ffmpeg], (l) => log.push(l)),
    ).rejects.toThrow(/the checkpoint does not match preset "b16-k400": .*tiny\.safetensors: "[^"]+" has shape \[/);
    expect(log.some((l) => l.startsWith("decode: ") && l.includes("64×48") && l.includes("40 frames"))).toBe(true);
    await expect(main(["classify", "--preset", "b16-k400", "--weights", path.join(tmp, "none.pyth"), "--video", file, "--backend", "cpu"])).rejects.toThrow(/none\.pyth: no such file/);
  });
});

// ---------------------------------------------------------------- decoding, with the real ffmpeg

const hasFfmpeg = spawnSync("ffmpeg", ["-version"]).status === 0 && spawnSync("ffprobe", ["-version"]).status === 0;

describe.skipIf(!hasFfmpeg)(`decoding a synthetic video with the real ffmpeg${hasFfmpeg ? "" : " (skipped: ffmpeg/ffprobe are not installed here)"}`, () => {
  it("decodes testsrc 64×48 at 10 fps for 1 s into 12 views of 4×32×32×3", async () => {
    const file = path.join(tmp, "testsrc.mp4");
    execFileSync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "1", "-pix_fmt", "yuv420p", file]);
    const info = probeVideo(file);
    expect([info.width, info.height]).toEqual([64, 48]);
    expect(info.frameCount).toBe(10);
    const { video, decode } = await readVideo(file, 4, 4);
    expect(decode.frames.size).toBe(neededFrames(10, 4, 4).length);
    const frame = video.frame(neededFrames(10, 4, 4)[0]!);
    expect(frame).toHaveLength(64 * 48 * 3);
    expect(new Set(frame).size).toBeGreaterThan(10); // a picture, not a flat frame
    const views = buildViews(video, 4, 32, { crops: 3, clips: 4 });
    expect(views).toHaveLength(12);
    for (const v of views) {
      expect(v.data).toHaveLength(4 * 32 * 32 * 3);
      expect(v.data.every((x) => x >= -2.0001 && x <= 2.4445)).toBe(true);
    }
    const r = await classifyFrames(video, tinyConfig, initParams(tinyConfig, Key.fromSeed(3)), { views: { crops: 3, clips: 4 } });
    expect(r.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  it("names a bad file and quotes ffmpeg's error", () => {
    const file = path.join(tmp, "bad.mp4");
    writeFileSync(file, "definitely not a video");
    expect(() => probeVideo(file)).toThrow(/bad\.mp4: ffprobe cannot read this file/);
  });
});
