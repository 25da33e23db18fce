/**
 * @file Official checkpoints ↔ our parameters. Keys are the official state-dict names (after
 * the `backbone.`/`module.` prefixes the training code adds); every shape is checked against
 * the config; conv weights are permuted to channels-last; `num_batches_tracked` (int64) is known
 * and ignored. Missing and unexpected keys are reported, never silently skipped.
 */
import * as core from "../../dsl/core.js";
import type { AnyTensor } from "../../dsl/tensor.js";
import { materialize } from "../../dsl/host/array.js";
import { realize } from "../../dsl/realize.js";
import { toFloat32, type HostTensor } from "../../runtime/io/host-tensor.js";
import { writeSafetensors } from "../../runtime/io/safetensors.js";
import { fileSource, type ByteSource } from "../../runtime/io/source.js";
import { formatFromBytes, formatFromName, isUrlText, readStateDict, sourceName, stateDictFromSource, type WeightSource } from "../../runtime/io/state-dict.js";
import type { UniFormerV2Config } from "./config.js";
import { counterKeys, flatFromTree, paramSpecs, treeFromFlat, type UniFormerV2Params } from "./params.js";

export class WeightError extends Error {
  override name = "WeightError";
}

export interface LoadReport {
  /** Keys the config needs that the checkpoint lacks. */
  readonly missing: readonly string[];
  /** Keys in the checkpoint that the config does not use. */
  readonly unexpected: readonly string[];
  /** Known buffers that carry no parameter (num_batches_tracked). */
  readonly ignored: readonly string[];
}

/** Strip the prefixes released checkpoints put on keys (`backbone.`, `module.`, `model.`). */
export function normalizeKeys(stateDict: ReadonlyMap<string, HostTensor>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [key, value] of stateDict) {
    let k = key;
    for (let changed = true; changed; ) {
      changed = false;
      for (const prefix of ["module.", "backbone.", "model."]) {
        if (k.startsWith(prefix)) {
          k = k.slice(prefix.length);
          changed = true;
        }
      }
    }
    if (out.has(k)) throw new WeightError(`checkpoint has "${key}" twice once prefixes are removed (as "${k}")`);
    out.set(k, value);
  }
  return out;
}

/** [Cout, Cin/g, …K] (PyTorch) → [Cout, …K, Cin/g], on the host. */
function torchConvToOurs(data: Float32Array, shape: readonly number[]): Float32Array {
  const [co, ci] = [shape[0]!, shape[1]!];
  const k = shape.slice(2).reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.length);
  for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) for (let p = 0; p < k; p++) out[(o * k + p) * ci + i] = data[(o * ci + i) * k + p]!;
  return out;
}

function oursToTorchConv(data: ArrayLike<number>, official: readonly number[]): Float32Array {
  const [co, ci] = [official[0]!, official[1]!];
  const k = official.slice(2).reduce((a, b) => a * b, 1);
  const out = new Float32Array(co * ci * k);
  for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) for (let p = 0; p < k; p++) out[(o * ci + i) * k + p] = data[(o * k + p) * ci + i]!;
  return out;
}

export interface LoadOptions {
  /** Accept a checkpoint that lacks some parameters (they are initialised from `fallback`). */
  readonly fallback?: UniFormerV2Params;
  /** Name of the checkpoint, for messages. */
  readonly source?: string;
  /**
   * Key prefixes taken from `fallback` instead of the checkpoint, whatever it holds there:
   * a new head when fine-tuning to other classes (`["transformer.proj.2"]`).
   */
  readonly reinitialize?: readonly string[];
}

export function paramsFromStateDict<const C extends UniFormerV2Config>(config: C, stateDict: ReadonlyMap<string, HostTensor>, options: LoadOptions = {}): { params: UniFormerV2Params<C>; report: LoadReport } {
  const source = options.source ?? "checkpoint";
  const sd = normalizeKeys(stateDict);
  const specs = paramSpecs(config);
  const counters = new Set(counterKeys(config));
  const fallback = options.fallback ? flatFromTree(options.fallback) : undefined;
  const entries = new Map<string, AnyTensor>();
  const missing: string[] = [];
  const reinit = options.reinitialize ?? [];
  if (reinit.length > 0 && !fallback) throw new WeightError(`${source}: reinitialize needs fallback parameters to take the new values from`);
  for (const spec of specs) {
    if (reinit.some((prefix) => spec.key === prefix || spec.key.startsWith(`${prefix}.`))) {
      const f = fallback!.get(spec.key);
      if (!f) throw new WeightError(`fallback parameters lack "${spec.key}"`);
      entries.set(spec.key, f);
      continue;
    }
    const t = sd.get(spec.key);
    if (!t) {
      missing.push(spec.key);
      const f = fallback?.get(spec.key);
      if (f) entries.set(spec.key, f);
      continue;
    }
    const same = t.shape.length === spec.officialShape.length && t.shape.every((d, i) => d === spec.officialShape[i]);
    if (!same) {
      throw new WeightError(`${source}: "${spec.key}" has shape [${t.shape.join(", ")}], the config needs [${spec.officialShape.join(", ")}]`);
    }
    if (!["float32", "float64", "float16", "bfloat16"].includes(t.dtype)) {
      throw new WeightError(`${source}: "${spec.key}" is ${t.dtype}, expected a floating-point tensor`);
    }
    const values = toFloat32(t);
    const data = spec.isConvWeight ? torchConvToOurs(values, spec.officialShape) : Float32Array.from(values);
    entries.set(spec.key, core.constant(data, spec.shape, "float32"));
  }
  const known = new Set(specs.map((s) => s.key));
  const ignored = [...sd.keys()].filter((k) => counters.has(k));
  const unexpected = [...sd.keys()].filter((k) => !known.has(k) && !ignored.includes(k));
  if (missing.length > 0 && !fallback) {
    throw new WeightError(`${source}: ${missing.length} parameter(s) missing for this config: ${missing.slice(0, 8).join(", ")}${missing.length > 8 ? ", …" : ""}`);
  }
  return { params: treeFromFlat(entries, config), report: { missing, unexpected, ignored } };
}

/** Our parameters as an official state dict (PyTorch layouts, official key names). */
export function stateDictFromParams(config: UniFormerV2Config, params: UniFormerV2Params): Map<string, HostTensor> {
  const flat = flatFromTree(params);
  const out = new Map<string, HostTensor>();
  for (const spec of paramSpecs(config)) {
    const t = flat.get(spec.key);
    if (!t) throw new WeightError(`parameters lack "${spec.key}"`);
    const values = materialize(realize(t));
    const data = spec.isConvWeight ? oursToTorchConv(values, spec.officialShape) : Float32Array.from(values);
    out.set(spec.key, { dtype: "float32", shape: [...spec.officialShape], data });
  }
  for (const key of counterKeys(config)) out.set(key, { dtype: "int64", shape: [], data: new BigInt64Array(1) });
  return out;
}

/**
 * Read a checkpoint into a flat state dict: `.safetensors` or PyTorch `.pth` (zip + pickle,
 * nothing executed), from a path (Node), bytes, a `Blob`/`File` or a URL. The format is the one
 * the name's extension says, else the one the first bytes say. `name` labels bytes in messages.
 */
export async function readCheckpoint(source: WeightSource, name = sourceName(source)): Promise<Map<string, HostTensor>> {
  if (typeof source === "string" && !isUrlText(source) && formatFromName(source) === undefined) {
    // a path whose extension says nothing: the first bytes decide
    let src: ByteSource;
    try {
      src = fileSource(source);
    } catch (error) {
      throw new WeightError(`${source}: unknown checkpoint format (expected .safetensors or .pth), and the file cannot be read (${(error as Error).message})`);
    }
    try {
      const format = formatFromBytes(src);
      if (format === undefined) throw new WeightError(`${source}: unknown checkpoint format (expected .safetensors or .pth): neither a torch.save zip nor safetensors`);
      return stateDictFromSource(src, format);
    } finally {
      src.close();
    }
  }
  return readStateDict(source, { name });
}

export interface LoadSourceOptions extends Omit<LoadOptions, "source"> {
  /** What messages call the checkpoint (default: the path, URL or File name, else "<bytes>"). */
  readonly name?: string;
}

/**
 * Official weights for `config`, from a path (Node), a `Uint8Array`/`ArrayBuffer`, a `Blob`/`File`
 * or a URL, in `.safetensors` or `.pth`. Every shape is checked against the config; errors name
 * the checkpoint and the key.
 */
export async function loadWeights<const C extends UniFormerV2Config>(config: C, source: WeightSource, options: LoadSourceOptions = {}): Promise<{ params: UniFormerV2Params<C>; report: LoadReport }> {
  const name = options.name ?? sourceName(source);
  let stateDict: Map<string, HostTensor>;
  try {
    stateDict = await readCheckpoint(source, name);
  } catch (error) {
    // Corrupt files already say what and where (WeightFileError); give OS errors the same shape.
    if (error instanceof Error && "code" in error) throw new WeightError(`${name}: cannot read the checkpoint (${error.message})`);
    throw error;
  }
  const { name: _, ...rest } = options;
  return paramsFromStateDict(config, stateDict, { ...rest, source: name });
}

export function saveWeights(config: UniFormerV2Config, params: UniFormerV2Params, path: string, metadata: Record<string, string> = {}): void {
  writeSafetensors(path, stateDictFromParams(config, params), { format: "pt", producer: "wgtensor", ...metadata });
}
