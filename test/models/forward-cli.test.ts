/**
 * `wgtensor uniformerv2 forward` on the golden fixtures (CPU backend): the file it writes holds
 * the logits and, with --intermediates, every intermediate of the fixture's output.safetensors
 * within 1e-4; missing options and bad values fail with a clear message; --help prints usage.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { toFloat32, type HostTensor } from "../../src/runtime/io/host-tensor.js";
import { loadSafetensors } from "../../src/runtime/io/safetensors.js";
import { describeGpu } from "../gpu/harness.js";
import { fixtureDir, maxAbsDiff, tempDir } from "./helpers.js";

const ATOL = 1e-4;
const tmp = tempDir("wgt-uv2-cli-");
afterAll(tmp.cleanup);

function runCli(argv: readonly string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  return main(argv, (l) => lines.push(l)).then((code) => ({ code, lines }));
}

async function cliError(argv: readonly string[]): Promise<Error> {
  try {
    await runCli(argv);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`expected ${argv.join(" ")} to fail`);
}

function expectMatches(got: ReadonlyMap<string, HostTensor>, want: ReadonlyMap<string, HostTensor>, names: readonly string[]): void {
  for (const name of names) {
    const g = got.get(name);
    const w = want.get(name)!;
    expect(g, `output has "${name}"`).toBeDefined();
    expect(g!.dtype, name).toBe("float32");
    expect(g!.shape, name).toEqual(w.shape);
    expect(maxAbsDiff(toFloat32(g!), toFloat32(w)), name).toBeLessThan(ATOL);
  }
}

describe("wgtensor uniformerv2 forward (CPU)", () => {
  it.each(["A", "C"] as const)("fixture %s from weights.pth with --intermediates: logits and every intermediate within 1e-4", async (name) => {
    const dir = fixtureDir(name);
    const out = path.join(tmp.dir, `${name}-out.safetensors`);
    const { code, lines } = await runCli([
      "uniformerv2", "forward",
      "--config", `${dir}config.json`,
      "--weights", `${dir}weights.pth`,
      "--input", `${dir}input.safetensors`,
      "--out", out,
      "--backend", "cpu",
      "--intermediates",
    ]);
    expect(code).toBe(0);
    const expected = loadSafetensors(`${dir}output.safetensors`).tensors;
    const got = loadSafetensors(out);
    expect([...got.tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    expectMatches(got.tensors, expected, [...expected.keys()]);
    expect(got.metadata).toMatchObject({ backend: "cpu" });
    expect(lines.some((l) => l.startsWith(`weights: ${dir}weights.pth`))).toBe(true);
    expect(lines.some((l) => l === `wrote ${expected.size} tensor(s) to ${out}`)).toBe(true);
  });

  it("without --intermediates: only the logits (from the slowfast-format checkpoint)", async () => {
    const dir = fixtureDir("A");
    const out = path.join(tmp.dir, "A-logits.safetensors");
    const { code } = await runCli(["uniformerv2", "forward", "--config", `${dir}config.json`, "--weights", `${dir}weights_slowfast_format.pth`, "--input", `${dir}input.safetensors`, "--out", out, "--backend", "cpu"]);
    expect(code).toBe(0);
    const got = loadSafetensors(out).tensors;
    expect([...got.keys()]).toEqual(["logits"]);
    expectMatches(got, loadSafetensors(`${dir}output.safetensors`).tensors, ["logits"]);
  });

  it("--help prints the usage and runs nothing", async () => {
    const { code, lines } = await runCli(["uniformerv2", "forward", "--help"]);
    expect(code).toBe(0);
    const text = lines.join("\n");
    expect(text).toMatch(/^usage: wgtensor uniformerv2 forward --config CONFIG --weights W --input INPUT --out OUT/);
    for (const flag of ["--config", "--weights", "--input", "--out", "--backend", "--intermediates"]) expect(text).toContain(flag);
    const top = await runCli(["help"]);
    expect(top.lines.join("\n")).toContain("uniformerv2 forward");
  });

  const dir = fixtureDir("C");
  const full = ["--config", `${dir}config.json`, "--weights", `${dir}weights.safetensors`, "--input", `${dir}input.safetensors`, "--out", path.join(tmp.dir, "never.safetensors"), "--backend", "cpu"];
  const without = (flag: string) => {
    const i = full.indexOf(flag);
    return [...full.slice(0, i), ...full.slice(i + 2)];
  };

  it.each(["--config", "--weights", "--input", "--out"])("a missing %s is named, with the usage", async (flag) => {
    const e = await cliError(["uniformerv2", "forward", ...without(flag)]);
    expect(e.message).toMatch(new RegExp(`^uniformerv2 forward: ${flag} is required`));
    expect(e.message).toContain("usage: wgtensor uniformerv2 forward");
    expect(existsSync(path.join(tmp.dir, "never.safetensors"))).toBe(false);
  });

  it("an option without its value, a bad backend, an unknown subcommand fail clearly", async () => {
    expect((await cliError(["uniformerv2", "forward", ...full.slice(0, -1)])).message).toMatch(/^uniformerv2 forward: --backend needs a value\n/);
    expect((await cliError(["uniformerv2", "forward", ...without("--backend"), "--backend", "tpu"])).message).toMatch(/--backend must be auto, webgpu or cpu, got "tpu"/);
    expect((await cliError(["uniformerv2", "backward"])).message).toMatch(/uniformerv2: unknown subcommand "backward"/);
    expect((await cliError(["uniformerv2", "forward", "--config", "--weights", "w"])).message).toMatch(/^uniformerv2 forward: --config needs a value\n/);
  });

  it("bad files are named: a config that is not JSON, an unknown preset, an input without video", async () => {
    const notJson = path.join(tmp.dir, "bad.json");
    writeFileSync(notJson, "{ not json");
    const args = (over: Record<string, string>) => ["uniformerv2", "forward", ...Object.entries({ ...Object.fromEntries(pairs(full)), ...over }).flat()];
    expect((await cliError(args({ "--config": notJson }))).message).toMatch(new RegExp(`^${notJson.replace(/[.]/g, "\\.")}: cannot read the config`));
    expect((await cliError(args({ "--config": "b99-k400" }))).message).toMatch(/unknown preset "b99-k400"/);
    // output.safetensors has no "video".
    expect((await cliError(args({ "--input": `${dir}output.safetensors` }))).message).toMatch(/output\.safetensors: no tensor named "video"/);
    // Weights of the other fixture: the weight error names the key and shapes.
    expect((await cliError(args({ "--weights": `${fixtureDir("A")}weights.safetensors` }))).message).toMatch(/"conv1\.weight" has shape \[64, 3, 3, 16, 16\], the config needs \[64, 3, 1, 16, 16\]/);
    // The fixture's config.json is real JSON with constructor_args.
    expect(JSON.parse(readFileSync(`${dir}config.json`, "utf8")).constructor_args).toBeDefined();
  });

  it("a config with wrong types is refused field by field, naming the file; null too", async () => {
    const args = (over: Record<string, string>) => ["uniformerv2", "forward", ...Object.entries({ ...Object.fromEntries(pairs(full)), ...over }).flat()];
    const official = (JSON.parse(readFileSync(`${dir}config.json`, "utf8")) as { constructor_args: Record<string, unknown> }).constructor_args;
    const careless = path.join(tmp.dir, "careless.json");
    writeFileSync(careless, JSON.stringify({ constructor_args: { ...official, no_lmhra: "false", return_list: "23", mlp_dropout: 0.0 } }));
    const message = (await cliError(args({ "--config": careless }))).message;
    expect(message.startsWith(`${careless}: invalid UniFormerV2 constructor arguments:`)).toBe(true);
    expect(message).toContain(`no_lmhra must be true or false, got "false" (a string)`);
    expect(message).toContain(`return_list must be a list of layer indices, got "23"`);
    expect(message).toContain("mlp_dropout must be a list of rates in [0, 1), got 0");
    const nothing = path.join(tmp.dir, "null.json");
    writeFileSync(nothing, "null");
    expect((await cliError(args({ "--config": nothing }))).message).toContain(`${nothing}: invalid UniFormerV2 constructor arguments:\n  - the constructor arguments must be an object of keyword arguments, got null`);
  });

  it("--out may not be one of the inputs", async () => {
    const args = (over: Record<string, string>) => ["uniformerv2", "forward", ...Object.entries({ ...Object.fromEntries(pairs(full)), ...over }).flat()];
    const weights = Object.fromEntries(pairs(full))["--weights"]!;
    const before = readFileSync(weights);
    expect((await cliError(args({ "--out": weights }))).message).toMatch(/--out .* is the --weights file: refusing to overwrite an input/);
    expect(readFileSync(weights).equals(before)).toBe(true);
    expect((await cliError(args({ "--out": Object.fromEntries(pairs(full))["--input"]! }))).message).toMatch(/is the --input file/);
  });
});

describeGpu("wgtensor uniformerv2 forward (WebGPU)", () => {
  it("fixture C with --backend webgpu --intermediates: every tensor within 1e-4", async () => {
    const dir = fixtureDir("C");
    const out = path.join(tmp.dir, "C-gpu.safetensors");
    const { code, lines } = await runCli(["uniformerv2", "forward", "--config", `${dir}config.json`, "--weights", `${dir}weights.safetensors`, "--input", `${dir}input.safetensors`, "--out", out, "--backend", "webgpu", "--intermediates"]);
    expect(code).toBe(0);
    expect(lines.some((l) => l.startsWith("forward on WebGPU"))).toBe(true);
    const expected = loadSafetensors(`${dir}output.safetensors`).tensors;
    const got = loadSafetensors(out);
    expect(got.metadata).toMatchObject({ backend: "webgpu" });
    expectMatches(got.tensors, expected, [...expected.keys()]);
  });
});

function pairs(flat: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
