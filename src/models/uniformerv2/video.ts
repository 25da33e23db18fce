/**
 * @file Video input for UniFormerV2, as the official evaluation prepares it
 * (OpenGVLab/UniFormerV2 @ 722a434: `slowfast/datasets/kinetics_sparse.py` with the decord
 * backend and `sparse=True`, `decoder.get_seq_frames`, `utils.spatial_sampling`,
 * `transform.random_short_side_scale_jitter` / `uniform_crop`; K400 test runs use
 * TEST.NUM_ENSEMBLE_VIEWS 4 × TEST.NUM_SPATIAL_CROPS 3):
 *
 *   view v = clip · crops + crop                 (the official `_spatial_temporal_idx` order)
 *   frames  = sparseSampleIndices(frameCount, T, clips, clip)   T sparse frames of the clip
 *   resize  : short side → size, long side ⌊long/short · size⌋, bilinear, align_corners=False
 *   crop    : size × size at the left/top (0), centre (1) or right/bottom (2) of the long side;
 *             with one crop, the centre
 *   values  : (x/255 − 0.45)/0.225 in every channel; laid out [T, size, size, RGB]
 *
 * The official code normalises before resizing; bilinear resizing is affine (its weights sum
 * to 1), so resizing the 8-bit frames first and normalising the crops gives the same values up
 * to float rounding, at a third of the work.
 *
 * Decoding (Node, `ffmpeg.ts`) runs the `ffmpeg`/`ffprobe` programs (the Debian package): `ffprobe` gives the size
 * and frame count, then one `ffmpeg` pass streams RGB24 frames at the native size and keeps
 * only the sampled ones (it stops once the last needed frame has arrived). Frame i is the i-th
 * decoded frame (`-vsync passthrough`: none duplicated or dropped to a constant rate), as decord
 * indexes them; the frame count is the container's (ffprobe nb_frames) or, where it has none,
 * counted by decoding. Display rotation is applied (ffmpeg's default), so a phone video is
 * upright. This file is pure (no ffmpeg, no Node): a browser
 * decodes frames its own way and builds the same views.
 */

export class VideoError extends Error {
  override name = "VideoError";
}

export const FFMPEG_MISSING = "ffmpeg not found: install it (Debian: apt-get install ffmpeg)";

/** The mean and standard deviation of every channel (slowfast's DATA.MEAN / DATA.STD). */
export const MEAN = 0.45;
export const STD = 0.225;

/** Decoded frames: RGB24, row-major, `width · height · 3` bytes each. */
export interface VideoFrames {
  readonly width: number;
  readonly height: number;
  /** Frames in the video: what temporal sampling divides. */
  readonly frameCount: number;
  /** Frame `index` (0-based). Sparse sources hold only the frames the sampling needs. */
  frame(index: number): Uint8Array;
}

/** Frames held in memory, every one present. */
export function framesFromArray(frames: readonly Uint8Array[], width: number, height: number): VideoFrames {
  if (frames.length === 0) throw new VideoError("the video has no frames");
  frames.forEach((f, i) => {
    if (f.length !== width * height * 3) throw new VideoError(`frame ${i} has ${f.length} bytes, expected ${width}×${height}×3 = ${width * height * 3}`);
  });
  return { width, height, frameCount: frames.length, frame: (i) => frames[i] ?? missingFrame(i, frames.length) };
}

export function missingFrame(i: number, count: number): never {
  throw new VideoError(`frame ${i} is not available (the video has ${count} frame(s) or it was not decoded)`);
}

// ---------------------------------------------------------------- temporal sampling

/** numpy's `np.round`: to the nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new VideoError(`${name} must be an integer ≥ ${min}, got ${v}`);
}

/**
 * The T frame indices of test clip `clipIndex` of `clips` (official `get_seq_frames`): the
 * video's [0, frameCount − 1] splits into T segments of `s = (frameCount − 1)/T` frames; the
 * frame of segment i is `round(s·i) + ⌊s/(clips + 1) · (clipIndex + 1)⌋`, clamped to the last
 * frame. So clip k sits at the (k + 1)/(clips + 1) point of every segment: one clip samples
 * each segment's middle, four clips its 1/5, 2/5, 3/5 and 4/5 points.
 */
export function sparseSampleIndices(frameCount: number, frames: number, clips: number, clipIndex: number): number[] {
  checkCount("frameCount", frameCount, 1);
  checkCount("frames", frames, 1);
  checkCount("clips", clips, 1);
  if (!Number.isInteger(clipIndex) || clipIndex < 0 || clipIndex >= clips) throw new VideoError(`clipIndex must be in 0…${clips - 1}, got ${clipIndex}`);
  const segment = Math.max(0, (frameCount - 1) / frames);
  const offset = Math.trunc((segment / (clips + 1)) * (clipIndex + 1));
  return Array.from({ length: frames }, (_, i) => Math.min(roundHalfEven(segment * i) + offset, frameCount - 1));
}

// ---------------------------------------------------------------- spatial processing

/** A frame of `channels` interleaved channels, row-major, as floats. */
export interface Image {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** The size after scaling the short side to `size` (official `random_short_side_scale_jitter`). */
export function shortSideSize(width: number, height: number, size: number): { width: number; height: number } {
  if ((width <= height && width === size) || (height <= width && height === size)) return { width, height };
  return width < height ? { width: size, height: Math.floor((height / width) * size) } : { width: Math.floor((width / height) * size), height: size };
}

/** Source index pairs and weights of a bilinear, align_corners=False resampling of one axis. */
function axisTaps(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; w: Float64Array } {
  const scale = inSize / outSize;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const w = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(scale * (o + 0.5) - 0.5, 0);
    const i = Math.min(Math.floor(src), inSize - 1);
    lo[o] = i;
    hi[o] = i < inSize - 1 ? i + 1 : i;
    w[o] = src - i;
  }
  return { lo, hi, w };
}

/** Bilinear resize (PyTorch `interpolate(mode="bilinear", align_corners=False)`, no antialiasing). */
export function resize(frame: ArrayLike<number>, width: number, height: number, outWidth: number, outHeight: number, channels = 3): Image {
  if (frame.length !== width * height * channels) throw new VideoError(`resize: the frame has ${frame.length} values, expected ${width}×${height}×${channels}`);
  checkCount("resize width", outWidth, 1);
  checkCount("resize height", outHeight, 1);
  const xs = axisTaps(width, outWidth);
  const ys = axisTaps(height, outHeight);
  const out = new Float32Array(outWidth * outHeight * channels);
  for (let y = 0; y < outHeight; y++) {
    const r0 = ys.lo[y]! * width;
    const r1 = ys.hi[y]! * width;
    const wy = ys.w[y]!;
    for (let x = 0; x < outWidth; x++) {
      const c0 = xs.lo[x]!;
      const c1 = xs.hi[x]!;
      const wx = xs.w[x]!;
      const a = (r0 + c0) * channels;
      const b = (r0 + c1) * channels;
      const c = (r1 + c0) * channels;
      const d = (r1 + c1) * channels;
      const o = (y * outWidth + x) * channels;
      for (let k = 0; k < channels; k++) {
        const top = (1 - wx) * frame[a + k]! + wx * frame[b + k]!;
        const bottom = (1 - wx) * frame[c + k]! + wx * frame[d + k]!;
        out[o + k] = (1 - wy) * top + wy * bottom;
      }
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/** Scale the short side to `size`, keeping the aspect ratio (as the official test transform). */
export function resizeShortSide(frame: ArrayLike<number>, width: number, height: number, size: number, channels = 3): Image {
  const to = shortSideSize(width, height, size);
  if (to.width === width && to.height === height) {
    if (frame.length !== width * height * channels) throw new VideoError(`resize: the frame has ${frame.length} values, expected ${width}×${height}×${channels}`);
    return { data: Float32Array.from(frame), width, height };
  }
  return resize(frame, width, height, to.width, to.height, channels);
}

/**
 * Top-left corner of crop `spatialIndex` (official `uniform_crop`): 0 = left (or top when the
 * frame is taller than wide), 1 = centre, 2 = right (or bottom).
 */
export function cropOffset(width: number, height: number, size: number, spatialIndex: number): { x: number; y: number } {
  if (width < size || height < size) throw new VideoError(`cannot crop ${size}×${size} from a ${width}×${height} frame`);
  if (![0, 1, 2].includes(spatialIndex)) throw new VideoError(`spatial crop index must be 0, 1 or 2, got ${spatialIndex}`);
  let y = Math.ceil((height - size) / 2);
  let x = Math.ceil((width - size) / 2);
  if (height > width) {
    if (spatialIndex === 0) y = 0;
    else if (spatialIndex === 2) y = height - size;
  } else {
    if (spatialIndex === 0) x = 0;
    else if (spatialIndex === 2) x = width - size;
  }
  return { x, y };
}

/** The spatial crop indices of `count` crops: [1] (centre) or [0, 1, 2]. */
export function cropIndices(count: 1 | 3): number[] {
  return count === 1 ? [1] : [0, 1, 2];
}

/** Copy a size × size window out of an image. */
export function crop(image: Image, x: number, y: number, size: number, channels = 3): Float32Array {
  const out = new Float32Array(size * size * channels);
  const row = size * channels;
  for (let r = 0; r < size; r++) {
    const from = ((y + r) * image.width + x) * channels;
    out.set(image.data.subarray(from, from + row), r * row);
  }
  return out;
}

/** `count` crops of size × size: left/centre/right (or top/centre/bottom), or the centre alone. */
export function spatialCrops(image: Image, size: number, count: 1 | 3, channels = 3): Float32Array[] {
  return cropIndices(count).map((i) => {
    const { x, y } = cropOffset(image.width, image.height, size, i);
    return crop(image, x, y, size, channels);
  });
}

/** (x/255 − 0.45)/0.225, elementwise, into a new Float32Array (or `out`). */
export function normalise(rgb: ArrayLike<number>, out: Float32Array = new Float32Array(rgb.length)): Float32Array {
  for (let i = 0; i < rgb.length; i++) out[i] = (rgb[i]! / 255 - MEAN) / STD;
  return out;
}

// ---------------------------------------------------------------- views

export interface ViewSpec {
  /** Spatial crops per clip: 3 (left, centre, right) or 1 (centre). */
  readonly crops: 1 | 3;
  /** Temporal clips. */
  readonly clips: number;
}

export interface View {
  readonly clip: number;
  /** The official spatial index: 0, 1 or 2 (1 is the centre). */
  readonly crop: number;
  readonly frameIndices: readonly number[];
  /** [T, size, size, 3], normalised. */
  readonly data: Float32Array;
}

/** Every frame any clip samples, ascending. */
export function neededFrames(frameCount: number, frames: number, clips: number): number[] {
  const set = new Set<number>();
  for (let k = 0; k < clips; k++) for (const i of sparseSampleIndices(frameCount, frames, clips, k)) set.add(i);
  return [...set].sort((a, b) => a - b);
}

/**
 * The views of a video: for each clip (in order) each crop (in order), T sampled frames resized,
 * cropped and normalised, [T, size, size, 3]. Each sampled frame is resized once.
 */
export function buildViews(video: VideoFrames, frames: number, size: number, spec: ViewSpec): View[] {
  checkCount("clips", spec.clips, 1);
  if (spec.crops !== 1 && spec.crops !== 3) throw new VideoError(`crops must be 1 or 3, got ${String(spec.crops)}`);
  const resized = new Map<number, Image>();
  const scaled = (i: number) => {
    let image = resized.get(i);
    if (!image) {
      image = resizeShortSide(video.frame(i), video.width, video.height, size);
      resized.set(i, image);
    }
    return image;
  };
  const frameSize = size * size * 3;
  const views: View[] = [];
  for (let clip = 0; clip < spec.clips; clip++) {
    const indices = sparseSampleIndices(video.frameCount, frames, spec.clips, clip);
    for (const spatial of cropIndices(spec.crops)) {
      const data = new Float32Array(frames * frameSize);
      indices.forEach((frameIndex, t) => {
        const image = scaled(frameIndex);
        const { x, y } = cropOffset(image.width, image.height, size, spatial);
        normalise(crop(image, x, y, size), data.subarray(t * frameSize, (t + 1) * frameSize));
      });
      views.push({ clip, crop: spatial, frameIndices: indices, data });
    }
  }
  return views;
}
