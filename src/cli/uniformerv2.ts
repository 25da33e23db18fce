/**
 * @file `wgtensor uniformerv2 forward`: run the model on a fixture-style folder's files.
 *   --config CONFIG.json   a fixture's config.json (its `constructor_args`), or a preset name
 *   --weights W            .safetensors or .pth (official keys, optional backbone./module. prefixes)
 *   --input INPUT          .safetensors holding `video` (N, 3, T, H, W), as the official model takes it
 *   --out OUT              .safetensors to write: `logits`, and with --intermediates every named
 *                          intermediate in the official layout
 *   --backend cpu|webgpu   default: webgpu when an adapter is available (a backend value here)
 */
import { readFileSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import * as core from "../dsl/core.js";
import { realize } from "../dsl/realize.js";
import type { AnyTensor } from "../dsl/tensor.js";
import { materialize } from "../dsl/host/array.js";
import { toFloat32, type HostTensor } from "../runtime/io/host-tensor.js";
import { loadSafetensors, writeSafetensors } from "../runtime/io/safetensors.js";
import type { Backend } from "../dsl/backend.js";
import { jit } from "../dsl/transforms.js";
import { fromOfficialArgs, loadWeights, officialLayout, preset, uniformerv2, type UniFormerV2Config, type UniFormerV2Params } from "../models/uniformerv2/index.js";

export interface ForwardArgs {
  readonly config: string;
  readonly weights: string;
  readonly input: string;
  readonly out: string;
  readonly backend: Backend;
  readonly intermediates: boolean;
  readonly log: (line: string) => void;
}

export function readConfig(path: string): UniFormerV2Config {
  if (!path.endsWith(".json")) return preset(path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: cannot read the config (${error instanceof Error ? error.message : String(error)})`);
  }
  // a fixture's config.json nests them under constructor_args; a plain file is the arguments
  const nested = typeof parsed === "object" && parsed !== null && "constructor_args" in parsed ? parsed.constructor_args : parsed;
  return fromOfficialArgs(nested as Parameters<typeof fromOfficialArgs>[0], "sequential", path);
}

/** The same file, following symlinks where it exists. */
function sameFile(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

export async function forward(a: ForwardArgs): Promise<Map<string, HostTensor>> {
  for (const [option, path] of [["--config", a.config], ["--weights", a.weights], ["--input", a.input]] as const) {
    if (sameFile(a.out, path)) throw new Error(`--out ${a.out} is the ${option} file: refusing to overwrite an input`);
  }
  const config = readConfig(a.config);
  const t0 = performance.now();
  const { params, report } = await loadWeights(config, a.weights);
  a.log(`weights: ${a.weights}: ${report.ignored.length} counter buffer(s) ignored${report.unexpected.length ? `, ${report.unexpected.length} unexpected key(s): ${report.unexpected.slice(0, 5).join(", ")}` : ""} (${((performance.now() - t0) / 1000).toFixed(2)} s)`);
  const input = loadSafetensors(a.input).tensors.get("video");
  if (!input) throw new Error(`${a.input}: no tensor named "video"`);
  if (input.shape.length !== 5 || input.shape[1] !== 3) throw new Error(`${a.input}: "video" must be (N, 3, T, H, W), got [${input.shape.join(", ")}]`);
  const video = core.permute(core.constant(toFloat32(input), input.shape, "float32"), [0, 2, 3, 4, 1]);
  const run = (p: UniFormerV2Params, v: AnyTensor) => {
    const out = uniformerv2(p, v, config, { intermediates: a.intermediates });
    return a.intermediates ? new Map([...out.intermediates!].map(([k, t]) => [k, officialLayout(k, t)])) : new Map([["logits", out.logits]]);
  };
  let names: string[] = [];
  const compiled = jit(
    (p: UniFormerV2Params, v: AnyTensor) => {
      const out = run(p, v);
      names = [...out.keys()];
      return [...out.values()];
    },
    { backend: a.backend },
  );
  const t1 = performance.now();
  const values = await compiled(params, video).finally(() => compiled.dispose());
  a.log(`forward on ${a.backend.label} (with ${a.backend.firstRun}): ${((performance.now() - t1) / 1000).toFixed(2)} s`);
  const outputs = new Map(names.map((n, i) => [n, values[i]!]));
  const host = new Map<string, HostTensor>();
  for (const [name, t] of outputs) host.set(name, { dtype: "float32", shape: [...t.shape], data: Float32Array.from(materialize(realize(t))) });
  writeSafetensors(a.out, host, { producer: "wgtensor", backend: a.backend.name });
  a.log(`wrote ${host.size} tensor(s) to ${a.out}`);
  return host;
}
