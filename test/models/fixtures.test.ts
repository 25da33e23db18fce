/**
 * UniFormerV2 against the official PyTorch code: the golden fixtures (random official weights,
 * inputs, logits and intermediates; see test/fixtures/uniformerv2/README.md) on the CPU
 * interpreter and on WebGPU, from each of the three weight files. Tolerance: 1e-4 absolute
 * (the fixtures' suggestion; f32 against f64 differs by ~1e-5, and leaving out any single piece
 * such as a DPE bias or the BN statistics moves the logits by ~2e-2).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { gpuJit } from "../../src/runtime/webgpu/jit.js";
import { toFloat32, type HostTensor } from "../../src/runtime/io/host-tensor.js";
import { loadSafetensors } from "../../src/runtime/io/safetensors.js";
import { fromOfficialArgs, loadWeights, officialLayout, uniformerv2, type UniFormerV2Params } from "../../src/models/uniformerv2/index.js";
import { describeGpu } from "../gpu/harness.js";

const ATOL = 1e-4;
const FIXTURES = ["A", "C"] as const;
const WEIGHT_FILES = ["weights.safetensors", "weights.pth", "weights_slowfast_format.pth"] as const;

function fixture(name: string) {
  const dir = new URL(`../fixtures/uniformerv2/${name}/`, import.meta.url).pathname;
  const cfg = JSON.parse(readFileSync(`${dir}config.json`, "utf8")) as { constructor_args: Parameters<typeof fromOfficialArgs>[0] };
  const config = fromOfficialArgs(cfg.constructor_args);
  const input = loadSafetensors(`${dir}input.safetensors`).tensors.get("video")!;
  // Official (N, 3, T, H, W) → ours (N, T, H, W, 3).
  const video = core.permute(core.constant(toFloat32(input), input.shape, "float32"), [0, 2, 3, 4, 1]);
  const expected = loadSafetensors(`${dir}output.safetensors`).tensors;
  return { dir, config, video, expected };
}

function worstError(name: string, got: AnyTensor, want: HostTensor): number {
  expect(got.shape, `${name} shape`).toEqual(want.shape);
  const a = data(got);
  const b = toFloat32(want);
  let worst = 0;
  b.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - a[i]!))));
  return worst;
}

function compareAll(outputs: ReadonlyMap<string, AnyTensor>, expected: ReadonlyMap<string, HostTensor>): Map<string, number> {
  const errors = new Map<string, number>();
  for (const [name, want] of expected) {
    const got = outputs.get(name);
    expect(got, `our model produces "${name}"`).toBeDefined();
    errors.set(name, worstError(name, got!, want));
  }
  return errors;
}

describe.each(FIXTURES)("fixture %s on the CPU interpreter", (name) => {
  const { dir, config, video, expected } = fixture(name);
  it.each(WEIGHT_FILES)("logits and every intermediate within 1e-4, loading %s", async (file) => {
    const { params, report } = await loadWeights(config, `${dir}${file}`);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    const out = uniformerv2(params, video, config, { intermediates: true });
    const official = new Map([...out.intermediates!].map(([k, t]) => [k, officialLayout(k, t)]));
    for (const [k, err] of compareAll(official, expected)) expect(err, k).toBeLessThan(ATOL);
  });
});

describeGpu("fixtures on WebGPU", () => {
  // One compiled program per fixture: the weights are its inputs, so the three files share it.
  const programs = new Map<string, ReturnType<typeof compiledFor>>();
  const compiledFor = (config: ReturnType<typeof fixture>["config"]) =>
    gpuJit((p: UniFormerV2Params, v: AnyTensor) => {
      const out = uniformerv2(p, v, config, { intermediates: true });
      return [...out.intermediates!].map(([k, t]) => officialLayout(k, t));
    });
  it.each(FIXTURES.flatMap((n) => WEIGHT_FILES.map((f) => [n, f] as const)))("fixture %s from %s: logits and intermediates within 1e-4", async (name, file) => {
    const { dir, config, video, expected } = fixture(name);
    const { params } = await loadWeights(config, `${dir}${file}`);
    if (!programs.has(name)) programs.set(name, compiledFor(config));
    const run = programs.get(name)!;
    const names = [...uniformerv2(params, video, config, { intermediates: true }).intermediates!.keys()];
    const values = await run(params, video);
    const official = new Map(names.map((k, i) => [k, values[i]!]));
    for (const [k, err] of compareAll(official, expected)) expect(err, k).toBeLessThan(ATOL);
  });
});
