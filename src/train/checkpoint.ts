/**
 * @file Training checkpoints: a trainer's state (trainable parameters, buffers, optimizer
 * slots, step, RNG key) in one safetensors file, written atomically (a temp file renamed into
 * place, so a crash leaves the previous checkpoint whole). Tensors keep our layout, bit for bit
 * (`trainable/<name>`, `buffers/<name>`, `optimizer/<slot>`); the step, key and the caller's
 * metadata (config, optimizer, mode) are strings in the header. Weights for inference are a
 * separate file with official names (see `saveWeights`).
 */
import { fromFlat, materialize, type CpuArray } from "../dsl/host/array.js";
import { loadSafetensors, writeSafetensors } from "../runtime/io/safetensors.js";
import type { HostTensor } from "../runtime/io/host-tensor.js";
import { Key } from "../dsl/random/threefry.js";
import type { TrainerState } from "./trainer.js";

export const CHECKPOINT_FORMAT = "wgtensor-train-checkpoint/1";
const SECTIONS = ["trainable", "buffers", "optimizer"] as const;

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

function toHost(v: CpuArray): HostTensor {
  const flat = materialize(v);
  const shape = [...v.view.shape];
  if (v.dtype === "float32") return { dtype: "float32", shape, data: Float32Array.from(flat) };
  if (v.dtype === "int32") return { dtype: "int32", shape, data: Int32Array.from(flat) };
  throw new CheckpointError(`cannot checkpoint a ${v.dtype} tensor`);
}

export function saveCheckpoint(path: string, state: TrainerState, metadata: Readonly<Record<string, string>> = {}): void {
  const tensors = new Map<string, HostTensor>();
  for (const section of SECTIONS) for (const [name, v] of Object.entries(state[section])) tensors.set(`${section}/${name}`, toHost(v));
  writeSafetensors(path, tensors, { ...metadata, format: CHECKPOINT_FORMAT, step: String(state.step), key: `${state.key.k0 >>> 0},${state.key.k1 >>> 0}` });
}

export interface LoadedCheckpoint {
  readonly state: TrainerState;
  readonly metadata: Readonly<Record<string, string>>;
}

export function loadCheckpoint(path: string): LoadedCheckpoint {
  const file = loadSafetensors(path);
  const m = file.metadata;
  if (m.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${path}: not a wgtensor training checkpoint (format "${m.format ?? "absent"}", want "${CHECKPOINT_FORMAT}"); weights files load with loadWeights`);
  }
  const digits = /^\d+$/;
  const words = (m.key ?? "").split(",");
  if (!digits.test(m.step ?? "")) throw new CheckpointError(`${path}: bad step "${m.step}" in the header`);
  if (words.length !== 2 || words.some((w) => !digits.test(w) || Number(w) > 0xffffffff)) throw new CheckpointError(`${path}: bad RNG key "${m.key}" in the header`);
  const step = Number(m.step);
  const key = words.map(Number);
  const sections = { trainable: {}, buffers: {}, optimizer: {} } as Record<(typeof SECTIONS)[number], Record<string, CpuArray>>;
  for (const [name, t] of file.tensors) {
    const slash = name.indexOf("/");
    const section = name.slice(0, slash) as (typeof SECTIONS)[number];
    if (!SECTIONS.includes(section)) throw new CheckpointError(`${path}: unexpected tensor "${name}"`);
    if (t.dtype !== "float32" && t.dtype !== "int32") throw new CheckpointError(`${path}: tensor "${name}" is ${t.dtype}; checkpoints hold float32 and int32`);
    sections[section][name.slice(slash + 1)] = fromFlat(t.data, t.dtype, t.shape);
  }
  const { format: _format, step: _step, key: _key, ...rest } = m;
  return { state: { step, key: new Key(key[0]!, key[1]!), ...sections }, metadata: rest };
}
