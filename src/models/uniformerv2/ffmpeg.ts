/**
 * @file Decoding videos with the `ffmpeg`/`ffprobe` programs (Node only): `probeVideo` reads
 * the size and frame count, `decodeFrames` streams RGB24 frames and keeps the sampled ones,
 * `readVideo` does both for the views `video.ts` builds. See `video.ts` for the sampling rules.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { FFMPEG_MISSING, missingFrame, neededFrames, VideoError, type VideoFrames } from "./video.js";

export interface FfmpegOptions {
  /** The ffmpeg program (default "ffmpeg", looked up on PATH). */
  readonly ffmpeg?: string;
  /** The ffprobe program (default: "ffprobe" next to a given ffmpeg, else on PATH). */
  readonly ffprobe?: string;
}

export interface VideoInfo {
  /** Frame size as decoded (after the display rotation ffmpeg applies). */
  readonly width: number;
  readonly height: number;
  readonly frameCount: number;
  /** Where frameCount came from: the container's header, or a decoding pass (-count_frames). */
  readonly frameCountSource: "header" | "counted";
  readonly duration?: number;
  readonly fps?: number;
  readonly codec?: string;
  readonly rotation: number;
}

function programs(o: FfmpegOptions): { ffmpeg: string; ffprobe: string } {
  const ffmpeg = o.ffmpeg ?? "ffmpeg";
  const ffprobe = o.ffprobe ?? (o.ffmpeg && /ffmpeg$/.test(o.ffmpeg) ? o.ffmpeg.replace(/ffmpeg$/, "ffprobe") : "ffprobe");
  return { ffmpeg, ffprobe };
}

function tail(text: string, lines = 8): string {
  const kept = text.trim().split(/\r?\n/).slice(-lines).join("\n  ");
  return kept ? `\n  ${kept}` : " (no message)";
}

function spawnFailure(program: string, error: NodeJS.ErrnoException): VideoError {
  if (error.code === "ENOENT") return new VideoError(`${FFMPEG_MISSING} (could not run "${program}")`);
  return new VideoError(`could not run "${program}": ${error.message}`);
}

function checkFile(path: string): void {
  if (!existsSync(path)) throw new VideoError(`${path}: no such file`);
  if (!statSync(path).isFile()) throw new VideoError(`${path}: not a file`);
}

function runProbe(program: string, args: readonly string[], path: string): Record<string, unknown> {
  const r = spawnSync(program, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw spawnFailure(program, r.error as NodeJS.ErrnoException);
  if (r.status !== 0) throw new VideoError(`${path}: ffprobe cannot read this file (exit ${r.status ?? r.signal}):${tail(r.stderr)}`);
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new VideoError(`${path}: ffprobe printed something that is not JSON:${tail(r.stdout)}`);
  }
}

function positiveNumber(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function rate(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const [a, b] = v.split("/").map(Number);
  return a !== undefined && b !== undefined && b > 0 && a > 0 ? a / b : undefined;
}

/** Size, frame count, duration and rotation of the first video stream (runs ffprobe). */
export function probeVideo(path: string, options: FfmpegOptions = {}): VideoInfo {
  checkFile(path);
  const { ffprobe } = programs(options);
  const json = runProbe(ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_streams", "-show_format", "-of", "json", path], path);
  const stream = (json.streams as Record<string, unknown>[] | undefined)?.[0];
  if (!stream) throw new VideoError(`${path}: no video stream (ffprobe found none)`);
  const w = positiveNumber(stream.width);
  const h = positiveNumber(stream.height);
  if (!w || !h) throw new VideoError(`${path}: ffprobe reports no frame size for the video stream`);
  // Display rotation: newer ffprobe reports side data, older a "rotate" tag; ffmpeg applies it.
  let rotation = 0;
  for (const side of (stream.side_data_list as Record<string, unknown>[] | undefined) ?? []) {
    if (typeof side.rotation === "number") rotation = side.rotation;
  }
  const tag = (stream.tags as Record<string, unknown> | undefined)?.rotate;
  if (rotation === 0 && typeof tag === "string" && Number.isFinite(Number(tag))) rotation = Number(tag);
  const quarter = Math.abs(Math.round(rotation / 90)) % 2 === 1;
  const duration = positiveNumber(stream.duration) ?? positiveNumber((json.format as Record<string, unknown> | undefined)?.duration);
  const fps = rate(stream.avg_frame_rate) ?? rate(stream.r_frame_rate);
  let frameCount = positiveNumber(stream.nb_frames);
  let frameCountSource: VideoInfo["frameCountSource"] = "header";
  if (!frameCount || !Number.isInteger(frameCount)) {
    // Matroska/WebM and some streams carry no frame count: count by decoding.
    const counted = runProbe(ffprobe, ["-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "json", path], path);
    frameCount = positiveNumber((counted.streams as Record<string, unknown>[] | undefined)?.[0]?.nb_read_frames);
    frameCountSource = "counted";
    if (!frameCount) throw new VideoError(`${path}: the video stream has no decodable frames`);
  }
  const info: VideoInfo = { width: quarter ? h : w, height: quarter ? w : h, frameCount, frameCountSource, rotation };
  return { ...info, ...(duration ? { duration } : {}), ...(fps ? { fps } : {}), ...(typeof stream.codec_name === "string" ? { codec: stream.codec_name } : {}) };
}

export interface DecodeResult {
  /** The requested frames (RGB24, info.width × info.height). */
  readonly frames: ReadonlyMap<number, Uint8Array>;
  /** Frames ffmpeg produced (all of them, unless it was stopped after the last needed one). */
  readonly decoded: number;
  /** Whether ffmpeg was stopped early, once every needed frame had arrived. */
  readonly stoppedEarly: boolean;
  /** Requested indices past the end of the decoded stream, given the last decoded frame. */
  readonly clamped: readonly number[];
}

/**
 * Decode the first video stream to RGB24 at `info`'s size and keep the frames in `indices`.
 * Indices past the last decoded frame (a header count that overstates the stream) get the last
 * frame, as the official sampler clamps to the last frame.
 */
export function decodeFrames(path: string, info: Pick<VideoInfo, "width" | "height">, indices: Iterable<number>, options: FfmpegOptions = {}): Promise<DecodeResult> {
  checkFile(path);
  const { ffmpeg } = programs(options);
  const wanted = new Set(indices);
  const last = Math.max(-1, ...wanted);
  const frameBytes = info.width * info.height * 3;
  const args = [
    "-nostdin", "-hide_banner", "-loglevel", "error",
    "-i", path,
    "-map", "0:v:0", "-an", "-sn", "-dn",
    "-vsync", "passthrough",
    // The scale is a no-op at the probed size; it pins the raw frame layout to that size.
    "-vf", `scale=${info.width}:${info.height}`,
    "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1",
  ];
  return new Promise<DecodeResult>((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ["ignore", "pipe", "pipe"] });
    const kept = new Map<number, Uint8Array>();
    let stderr = "";
    let index = 0;
    let filled = 0;
    let current = new Uint8Array(frameBytes);
    let spare = new Uint8Array(frameBytes);
    let previous: Uint8Array | undefined;
    let stopped = false;
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      if (child.exitCode === null && !child.killed) child.kill("SIGTERM");
      reject(e);
    };
    child.on("error", (e: NodeJS.ErrnoException) => fail(spawnFailure(ffmpeg, e)));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => {
      stderr = (stderr + s).slice(-8192);
    });
    child.stdout.on("data", (chunk: Buffer) => {
      if (stopped || failed) return;
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - at);
        current.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled < frameBytes) break;
        // A whole frame: keep it if sampled, else recycle its buffer.
        if (wanted.has(index)) {
          kept.set(index, current);
          previous = current;
          current = new Uint8Array(frameBytes);
        } else {
          previous = current;
          [current, spare] = [spare, current];
        }
        filled = 0;
        index++;
        if (index > last) {
          stopped = true;
          child.stdout.destroy();
          child.kill("SIGTERM");
          return;
        }
      }
    });
    child.on("close", (code, signal) => {
      if (failed) return;
      if (!stopped && code !== 0) {
        fail(new VideoError(`${path}: ffmpeg cannot decode this file (exit ${code ?? signal}):${tail(stderr)}`));
        return;
      }
      if (!stopped && filled !== 0) {
        fail(new VideoError(`${path}: ffmpeg's output ends inside a frame (${filled} of ${frameBytes} bytes): the decoded size is not ${info.width}×${info.height}:${tail(stderr)}`));
        return;
      }
      if (index === 0 || !previous) {
        fail(new VideoError(`${path}: ffmpeg decoded no video frames:${tail(stderr)}`));
        return;
      }
      const clamped = [...wanted].filter((i) => i >= index).sort((a, b) => a - b);
      for (const i of clamped) kept.set(i, kept.get(index - 1) ?? previous);
      resolve({ frames: kept, decoded: index, stoppedEarly: stopped, clamped });
    });
  });
}

export interface ReadVideoResult {
  readonly info: VideoInfo;
  readonly video: VideoFrames;
  readonly decode: DecodeResult;
}

/**
 * Probe a file and decode the frames `frames`-frame sampling with `clips` clips needs. If the
 * stream turns out shorter than the header said, the frame count is the decoded one and the
 * needed frames are decoded again (rare; only some containers overstate it).
 */
export async function readVideo(path: string, frames: number, clips: number, options: FfmpegOptions = {}): Promise<ReadVideoResult> {
  const info = probeVideo(path, options);
  let frameCount = info.frameCount;
  let decode = await decodeFrames(path, info, neededFrames(frameCount, frames, clips), options);
  if (decode.clamped.length > 0 && !decode.stoppedEarly && decode.decoded !== frameCount) {
    frameCount = decode.decoded;
    decode = await decodeFrames(path, info, neededFrames(frameCount, frames, clips), options);
  }
  const held = decode.frames;
  const count = frameCount;
  return {
    info: { ...info, frameCount: count },
    video: { width: info.width, height: info.height, frameCount: count, frame: (i) => held.get(i) ?? missingFrame(i, count) },
    decode,
  };
}
