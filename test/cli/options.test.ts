/**
 * One strict option parser for every `wgtensor` command (src/cli/options.ts): --help / -h on
 * every command and workload, unknown options (with a suggestion), `--x=v` as well as `--x v`,
 * malformed values, stray arguments. All in process through `main`; nothing here starts GPU
 * work (every failure is raised before a backend is chosen).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { flag, int, num, oneOf, parse, required, str, UsageError } from "../../src/cli/options.js";
import { WORKLOADS } from "../../src/cli/workloads.js";

async function run(argv: readonly string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await main(argv, (l) => lines.push(l));
  return { code, text: lines.join("\n") };
}

async function usageError(argv: readonly string[]): Promise<UsageError> {
  try {
    await run(argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`expected ${argv.join(" ")} to fail`);
}

/** Each command as typed, with what its usage starts with and the options it cannot run without. */
const COMMANDS: readonly { argv: readonly string[]; usage: string; needs?: readonly string[] }[] = [
  { argv: ["demo"], usage: "usage: wgtensor demo" },
  { argv: ["train"], usage: "usage: wgtensor train" },
  { argv: ["memory"], usage: "usage: wgtensor memory" },
  { argv: ["info"], usage: "usage: wgtensor info" },
  { argv: ["profile"], usage: "usage: wgtensor profile" },
  { argv: ["compile"], usage: "usage: wgtensor compile" },
  { argv: ["ops"], usage: "usage: wgtensor ops" },
  { argv: ["uniformerv2", "forward"], usage: "usage: wgtensor uniformerv2 forward", needs: ["--config", "c.json", "--weights", "w", "--input", "i", "--out", "o"] },
  { argv: ["classify"], usage: "usage: wgtensor classify", needs: ["--preset", "b16-k400", "--weights", "w", "--video", "v"] },
];
const nameOf = (argv: readonly string[]) => argv.join(" ");

describe("--help and -h", () => {
  test.each(COMMANDS.flatMap((c) => ["--help", "-h"].map((h) => [nameOf(c.argv), h, c] as const)))("%s %s prints the usage, exit 0", async (_, h, c) => {
    const { code, text } = await run([...c.argv, h]);
    expect(code).toBe(0);
    expect(text.startsWith(c.usage)).toBe(true);
  });

  test.each(Object.keys(WORKLOADS).flatMap((w) => ["profile", "compile"].map((cmd) => [cmd, w] as const)))("%s %s --help prints the command's usage with the workloads", async (cmd, w) => {
    for (const argv of [[cmd, w, "--help"], [cmd, `${w}:1`, "-h"], [cmd, "--help", w]]) {
      const { code, text } = await run(argv);
      expect(code).toBe(0);
      expect(text).toMatch(new RegExp(`^usage: wgtensor ${cmd} \\[WORKLOAD\\]`));
      expect(text).toContain(WORKLOADS[w]!.usage);
    }
  });

  test("help wins over a bad command line; the top-level help names --help; uniformerv2 --help", async () => {
    expect((await run(["demo", "--stepz", "3", "--help"])).code).toBe(0);
    expect((await run(["classify", "--top", "x", "-h"])).code).toBe(0);
    expect((await run(["help"])).text).toContain("Every command takes --help (-h)");
    const uv2 = await run(["uniformerv2", "--help"]);
    expect(uv2.code).toBe(0);
    expect(uv2.text).toMatch(/^usage: wgtensor uniformerv2 forward/);
  });
});

describe("unknown options and stray arguments", () => {
  test.each(COMMANDS.map((c) => [nameOf(c.argv), c] as const))("%s --bogus: named, with the command and its usage", async (name, c) => {
    const e = await usageError([...c.argv, ...(c.needs ?? []), "--bogus", "1"]);
    expect(e.message).toMatch(new RegExp(`^${name}: unknown option --bogus\\n\\n${c.usage}`));
    expect(e.command).toBe(name);
    expect(e.problem).toBe("unknown option --bogus");
  });

  test("a near miss is suggested; short options are checked too", async () => {
    expect((await usageError(["demo", "--stepz", "3"])).problem).toBe("unknown option --stepz (did you mean --steps?)");
    expect((await usageError(["train", "--baseline-step", "3"])).problem).toBe("unknown option --baseline-step (did you mean --baseline-steps?)");
    expect((await usageError(["memory", "--checkpoint"])).problem).toBe("unknown option --checkpoint (did you mean --checkpoint-blocks?)");
    expect((await usageError(["classify", "--vidoe", "v"])).problem).toBe("unknown option --vidoe (did you mean --video?)");
    expect((await usageError(["compile", "--emit", "d"])).problem).toBe("unknown option --emit (did you mean --emit-wgsl?)");
    expect((await usageError(["demo", "-x"])).problem).toBe("unknown option -x");
    expect((await usageError(["info", "--zzzzzz"])).problem).toBe("unknown option --zzzzzz");
  });

  test("commands without a workload take no arguments; profile and compile take one", async () => {
    for (const argv of [["demo", "300"], ["info", "x"], ["ops", "x"], ["memory", "tiny"], ["train", "synthetic-motion"]]) {
      expect((await usageError(argv)).problem).toBe(`unexpected argument "${argv[1]}"`);
    }
    expect((await usageError(["profile", "matmul", "copy"])).problem).toBe('unexpected argument "copy"');
    expect((await usageError(["compile", "matmul", "copy", "--emit-wgsl", "d"])).problem).toBe('unexpected argument "copy"');
  });
});

describe("--x=v is --x v", () => {
  test("the parser gives the same values for both forms", () => {
    const cmd = { name: "t", usage: "usage: t", options: { n: int(1), s: str(), c: oneOf("a", "b"), f: flag(), x: num(), r: required() } };
    const a = parse(cmd, ["--n", "3", "--s", "hi", "--c", "b", "--f", "--x", "0.5", "--r", "-"]);
    const b = parse(cmd, ["--n=3", "--s=hi", "--c=b", "--f", "--x=0.5", "--r=-"]);
    expect(b).toEqual(a);
    expect(a).toMatchObject({ n: 3, s: "hi", c: "b", f: true, x: 0.5, r: "-", positionals: [] });
    // Absent options are undefined (the command applies its default); flags are false.
    expect(parse(cmd, ["--r", "y"])).toMatchObject({ n: undefined, s: undefined, c: undefined, f: false, x: undefined });
    // `=` lets a value start with a dash; the last of a repeated option wins.
    expect(parse(cmd, ["--r=-v", "--s=--x", "--n=1", "--n=2"])).toMatchObject({ r: "-v", s: "--x", n: 2 });
  });

  test("demo --steps=2 --backend=cpu runs two steps (it used to run 300)", async () => {
    const { code, text } = await run(["demo", "--steps=2", "--seed=1", "--backend=cpu"]);
    expect(code).toBe(0);
    expect(text).toMatch(/ in 2 steps;/);
  });

  test("compile WORKLOAD --emit-wgsl=DIR writes there", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wgt-opt-"));
    const { code, text } = await run(["compile", "matmul:16", `--emit-wgsl=${dir}`]);
    expect(code).toBe(0);
    expect(text).toContain(`written to ${dir}`);
    expect(readdirSync(dir).length).toBeGreaterThan(0);
  });
});

describe("malformed values name the command and the option", () => {
  const classifyNeeds = COMMANDS.find((c) => c.argv[0] === "classify")!.needs!;
  const forwardNeeds = COMMANDS.find((c) => c.argv[0] === "uniformerv2")!.needs!;
  test.each([
    [["demo", "--steps", "x"], "demo", '--steps needs a non-negative integer, got "x"'],
    [["demo", "--steps=1.5"], "demo", '--steps needs a non-negative integer, got "1.5"'],
    [["demo", "--seed=-1"], "demo", '--seed needs a non-negative integer, got "-1"'],
    [["demo", "--steps="], "demo", '--steps needs a non-negative integer, got ""'],
    [["demo", "--backend=tpu"], "demo", '--backend must be auto, webgpu or cpu, got "tpu"'],
    [["train", "--steps", "0"], "train", '--steps needs an integer ≥ 1, got "0"'],
    [["train", "--batch=many"], "train", '--batch needs an integer ≥ 1, got "many"'],
    [["train", "--lr", "abc"], "train", '--lr needs a positive number, got "abc"'],
    [["train", "--lr=0"], "train", '--lr needs a positive number, got "0"'],
    [["train", "--mode", "half"], "train", '--mode must be all or frozen-backbone, got "half"'],
    [["train", "--optimizer=lion"], "train", '--optimizer must be adamw or sgd, got "lion"'],
    [["train", "--checkpoint-every", "-2"], "train", "--checkpoint-every needs a value"],
    [["train", "--task", "imagenet"], "train", '--task: unknown task "imagenet" (available: synthetic-motion)'],
    [["train", "--json=yes"], "train", '--json takes no value, got "yes"'],
    [["memory", "--batch", "0"], "memory", '--batch needs an integer ≥ 1, got "0"'],
    [["memory", "--adapter=gpu"], "memory", '--adapter must be discrete or software, got "gpu"'],
    [["memory", "--optimizer", "lion"], "memory", '--optimizer must be adamw or sgd, got "lion"'],
    [["profile", "matmul", "--repeats", "0"], "profile", '--repeats needs an integer ≥ 1, got "0"'],
    [["profile", "nosuch"], "profile", 'unknown workload "nosuch"'],
    [["profile", "matmul:x"], "profile", 'workload: N must be a positive integer, got "x"'],
    [["compile", "matmul"], "compile", "--emit-wgsl is required"],
    [["compile", "block:1,2,3,0", "--emit-wgsl", "d"], "compile", 'workload: HEADS must be a positive integer, got "0"'],
    [["classify", ...classifyNeeds, "--top", "x"], "classify", '--top needs an integer ≥ 1, got "x"'],
    [["classify", ...classifyNeeds, "--batch=0"], "classify", '--batch needs an integer ≥ 1, got "0"'],
    [["classify", ...classifyNeeds, "--backend", "tpu"], "classify", '--backend must be auto, webgpu or cpu, got "tpu"'],
    [["classify", ...classifyNeeds, "--views", "5x5"], "classify", "--views must be CROPSxCLIPS"],
    [["classify", "--weights", "w", "--video", "v"], "classify", "--preset is required"],
    [["uniformerv2", "forward", ...forwardNeeds, "--backend=tpu"], "uniformerv2 forward", '--backend must be auto, webgpu or cpu, got "tpu"'],
    [["uniformerv2", "forward", ...forwardNeeds, "--intermediates=1"], "uniformerv2 forward", '--intermediates takes no value, got "1"'],
  ] as const)("%j", async (argv, command, problem) => {
    const e = await usageError(argv);
    expect(e.command).toBe(command);
    expect(e.problem.startsWith(problem)).toBe(true);
    expect(e.usage).toMatch(new RegExp(`^usage: wgtensor ${command}`));
  });

  test("an option without its value: `COMMAND: --x needs a value`, then the usage", async () => {
    for (const [argv, option] of [
      [["demo", "--steps"], "--steps"],
      [["demo", "--steps", "--seed", "1"], "--steps"],
      [["memory", "--preset"], "--preset"],
      [["classify", "--preset", "--weights", "w"], "--preset"],
    ] as const) {
      const e = await usageError(argv);
      expect(e.problem).toBe(`${option} needs a value`);
      expect(e.message.startsWith(`${argv[0]}: ${option} needs a value\n\n`)).toBe(true);
    }
  });
});

test("the executable prints the error with the usage on stderr and exits 2", () => {
  const bin = path.join(import.meta.dirname, "../../src/cli/bin.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", bin, "demo", "--stepz", "3"], { encoding: "utf8", timeout: 60_000 });
  expect(r.status).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^wgtensor demo: unknown option --stepz \(did you mean --steps\?\)\n\nusage: wgtensor demo/);
  const help = spawnSync(process.execPath, ["--import", "tsx", bin, "profile", "--help"], { encoding: "utf8", timeout: 60_000 });
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/^usage: wgtensor profile/);
});
