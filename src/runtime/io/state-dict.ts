/**
 * @file One call from a weight file (safetensors or torch.save zip) to a flat `name → tensor`
 * state dict; see `flattenStateDict` in pth.ts for the unwrapping rules. A weight file comes as
 * a path (Node: read by position, never whole), bytes, a `Blob`/`File`, or a URL (fetched).
 */
import type { HostTensor } from "./host-tensor.js";
import { flattenStateDict, readPthArchive, type FlattenOptions } from "./pth.js";
import { readSafetensorsSource } from "./safetensors.js";
import { fileSource, memorySource, WeightFileError, type ByteSource } from "./source.js";

/** Where weights come from: a path (Node), bytes, a `Blob`/`File` (browser uploads), or a URL. */
export type WeightSource = string | URL | Uint8Array | ArrayBuffer | Blob;

export type WeightFormat = "safetensors" | "pth";

const PTH_EXTENSIONS = [".pth", ".pt", ".pyth", ".ckpt", ".tar"];

/** The format a name's extension says, if it says one. */
export function formatFromName(name: string): WeightFormat | undefined {
  const bare = name.split(/[?#]/)[0]!.toLowerCase();
  if (bare.endsWith(".safetensors")) return "safetensors";
  return PTH_EXTENSIONS.some((e) => bare.endsWith(e)) ? "pth" : undefined;
}

/** The format the first bytes say: a zip (torch ≥ 1.6) or a bare pickle (legacy torch.save) is "pth". */
export function formatFromBytes(src: ByteSource): WeightFormat | undefined {
  const b = src.read(0, Math.min(src.size, 9));
  if ((b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) || b[0] === 0x80) return "pth";
  // safetensors: an 8-byte little-endian header length, then a JSON object
  if (b.byteLength === 9 && b[8] === 0x7b && b[6] === 0 && b[7] === 0) return "safetensors";
  return undefined;
}

/** A string source that is a URL to fetch, not a path. */
export const isUrlText = (s: string) => /^(https?|blob|data):/i.test(s);

/** A readable name for a source, for messages. */
export function sourceName(source: WeightSource): string {
  if (typeof source === "string") return source;
  if (source instanceof URL) return source.href;
  if (typeof Blob !== "undefined" && source instanceof Blob) return "name" in source && typeof source.name === "string" && source.name ? source.name : "<blob>";
  return "<bytes>";
}

/**
 * A `ByteSource` over any weight source. Paths are read by position (Node); bytes are used in
 * place; a Blob or a URL is read into memory once. `name` overrides the name errors use.
 */
export async function openWeightSource(source: WeightSource, name = sourceName(source)): Promise<ByteSource> {
  if (source instanceof Uint8Array) return memorySource(source, name);
  if (source instanceof ArrayBuffer) return memorySource(new Uint8Array(source), name);
  if (typeof Blob !== "undefined" && source instanceof Blob) return memorySource(new Uint8Array(await source.arrayBuffer()), name);
  // a file: URL is a path (Node; a browser cannot read it and says so)
  if (source instanceof URL && source.protocol === "file:") return fileSource(decodeURIComponent(source.pathname));
  if (source instanceof URL || (typeof source === "string" && isUrlText(source))) {
    let response: Response;
    try {
      response = await fetch(source);
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause;
      throw new WeightFileError(name, `cannot fetch: ${(e as Error).message}${cause instanceof Error ? ` (${cause.message})` : ""}`);
    }
    if (!response.ok) throw new WeightFileError(name, `cannot fetch: HTTP ${response.status} ${response.statusText}`);
    return memorySource(new Uint8Array(await response.arrayBuffer()), name);
  }
  if (typeof source === "string") return fileSource(source);
  throw new WeightFileError(name, "not a weight source (expected a path, URL, Uint8Array, ArrayBuffer or Blob)");
}

/** Parse an open source as `format` (or as its first bytes say) into a flat state dict. */
export function stateDictFromSource(src: ByteSource, format: WeightFormat | undefined, options: FlattenOptions = {}): Map<string, HostTensor> {
  const f = format ?? formatFromBytes(src);
  if (f === undefined) throw new WeightFileError(src.name, "unknown checkpoint format: neither a torch.save zip (.pth) nor safetensors");
  const object = f === "pth" ? readPthArchive(src).object : readSafetensorsSource(src).tensors;
  try {
    return flattenStateDict(object, options);
  } catch (error) {
    // name the file: flattenStateDict sees only the unpickled object
    throw new WeightFileError(src.name, (error as Error).message.replace(/^flattenStateDict: /, ""));
  }
}

/**
 * Read a state dict from any weight source. The format is the one the name's extension says,
 * else the one the first bytes say.
 */
export async function readStateDict(source: WeightSource, options: FlattenOptions & { readonly name?: string } = {}): Promise<Map<string, HostTensor>> {
  const name = options.name ?? sourceName(source);
  const src = await openWeightSource(source, name);
  try {
    return stateDictFromSource(src, formatFromName(name), options);
  } finally {
    src.close();
  }
}

/**
 * Load a state dict from a `.safetensors` file or a torch.save zip checkpoint (told apart by
 * their first bytes, not the file name) and flatten it with `options`. Node only.
 */
export function loadStateDict(path: string, options: FlattenOptions = {}): Map<string, HostTensor> {
  const src = fileSource(path);
  try {
    return stateDictFromSource(src, undefined, options);
  } finally {
    src.close();
  }
}
