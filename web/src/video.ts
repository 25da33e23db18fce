/**
 * @file Decoding a video file in the page: a <video> element plays the file, a canvas reads
 * frames back as RGB24 bytes. The element exposes neither the frame count nor the frame rate,
 * so the rate is measured with `requestVideoFrameCallback` (successive frames' media times)
 * where the browser has it, else assumed to be 30 fps; the count is then duration × fps.
 * Frame i is read by seeking into the middle of its display interval, (i + ½)/fps.
 */
import * as wg from "../../src/index.js";

export const ASSUMED_FPS = 30;

export interface VideoInfo {
  readonly width: number;
  readonly height: number;
  readonly duration: number;
  readonly fps: number;
  /** How the frame rate was found: measured, or assumed (ASSUMED_FPS) and why. */
  readonly fpsNote: string;
  readonly frameCount: number;
}

function once(target: HTMLVideoElement, event: string, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`the video did not ${what} within ${timeoutMs / 1000} s`)), timeoutMs);
    const onEvent = () => finish();
    const onError = () => finish(new Error(`the browser cannot decode this video (${target.error?.message || "unsupported format or codec"})`));
    function finish(error?: Error) {
      clearTimeout(timer);
      target.removeEventListener(event, onEvent);
      target.removeEventListener("error", onError);
      if (error) reject(error);
      else resolve();
    }
    target.addEventListener(event, onEvent);
    target.addEventListener("error", onError);
  });
}

/** Load `file` into `video` and wait for its size and duration. */
export async function openVideo(video: HTMLVideoElement, file: Blob): Promise<void> {
  if (video.src.startsWith("blob:")) URL.revokeObjectURL(video.src);
  video.muted = true;
  video.preload = "auto";
  const loaded = once(video, "loadeddata", "load");
  video.src = URL.createObjectURL(file);
  await loaded;
  if (!(video.videoWidth > 0 && video.videoHeight > 0)) throw new wg.uniformerv2.VideoError("the file has no video track the browser can show");
  if (!Number.isFinite(video.duration) || video.duration <= 0) throw new wg.uniformerv2.VideoError(`the video reports no usable duration (${video.duration})`);
}

/** A measured frame rate, or why there is none. */
type FpsMeasurement = { readonly fps: number } | { readonly reason: string };

/**
 * Frame rate from the media times of frames as they are presented while the video plays
 * (muted, from the start). The smallest gap between successive presented frames is one frame:
 * frames the compositor skips only make some gaps a multiple of it.
 */
async function measureFps(video: HTMLVideoElement): Promise<FpsMeasurement> {
  if (typeof video.requestVideoFrameCallback !== "function") return { reason: "this browser has no requestVideoFrameCallback to measure it" };
  const times: number[] = [];
  let playError = "";
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
      times.push(meta.mediaTime);
      if (times.length >= 12) done();
      else video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    video.addEventListener("ended", done, { once: true });
    video.currentTime = 0;
    video.play().catch((error: unknown) => {
      playError = error instanceof Error ? error.message : String(error);
      done();
    });
  });
  video.pause();
  if (playError) return { reason: `the video would not play to measure it (${playError})` };
  const gaps = times.slice(1).map((t, i) => t - times[i]!).filter((g) => g > 1e-4);
  if (gaps.length === 0) return { reason: "too few frames were presented to measure it" };
  const fps = 1 / Math.min(...gaps);
  return fps >= 1 && fps <= 240 ? { fps } : { reason: `the measurement (${fps.toFixed(1)} fps) is implausible` };
}

/** Open the file, find its frame rate and frame count. */
export async function probeVideo(video: HTMLVideoElement, file: Blob): Promise<VideoInfo> {
  await openVideo(video, file);
  const measured = await measureFps(video);
  const fps = "fps" in measured ? measured.fps : ASSUMED_FPS;
  const frameCount = Math.max(1, Math.round(video.duration * fps));
  const fpsNote = "fps" in measured ? "measured with requestVideoFrameCallback" : `assumed: ${measured.reason}`;
  return { width: video.videoWidth, height: video.videoHeight, duration: video.duration, fps, fpsNote, frameCount };
}

async function seek(video: HTMLVideoElement, time: number): Promise<void> {
  if (Math.abs(video.currentTime - time) < 1e-6 && !video.seeking) return;
  const seeked = once(video, "seeked", "seek");
  video.currentTime = time;
  await seeked;
}

/**
 * Read `indices` (ascending frame numbers) as RGB24 and wrap them as the library's
 * `VideoFrames` (sparse: only these frames are held). `onFrame` sees each frame as decoded.
 */
export async function readFrames(
  video: HTMLVideoElement,
  info: VideoInfo,
  indices: readonly number[],
  onFrame?: (index: number, rgba: ImageData) => void,
): Promise<wg.uniformerv2.VideoFrames> {
  video.pause();
  const canvas = document.createElement("canvas");
  canvas.width = info.width;
  canvas.height = info.height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) throw new Error("no 2D canvas context");
  const frames = new Map<number, Uint8Array>();
  for (const index of indices) {
    // Mid-interval, and never past the end (the last frame's interval may be cut short).
    await seek(video, Math.min((index + 0.5) / info.fps, Math.max(0, info.duration - 1e-3)));
    context.drawImage(video, 0, 0, info.width, info.height);
    const rgba = context.getImageData(0, 0, info.width, info.height);
    const rgb = new Uint8Array(info.width * info.height * 3);
    for (let p = 0, q = 0; p < rgba.data.length; p += 4, q += 3) {
      rgb[q] = rgba.data[p]!;
      rgb[q + 1] = rgba.data[p + 1]!;
      rgb[q + 2] = rgba.data[p + 2]!;
    }
    frames.set(index, rgb);
    onFrame?.(index, rgba);
  }
  return {
    width: info.width,
    height: info.height,
    frameCount: info.frameCount,
    frame: (i) => frames.get(i) ?? wg.uniformerv2.missingFrame(i, info.frameCount),
  };
}
