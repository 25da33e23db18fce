/**
 * @file The `wgtensor` command line.
 *   wgtensor demo [--steps N] [--seed S] [--backend auto|webgpu|cpu]
 *   wgtensor train [--task synthetic-motion] [options]   (npm start)
 *   wgtensor memory [--preset P] [--batch N] [--checkpoint-blocks]   GPU memory of a training step
 *   wgtensor info                               the WebGPU adapter, its features and limits
 *   wgtensor tune [--budget S] [--classes …]     tune the matmul tilings, remember them
 *   wgtensor profile WORKLOAD [--repeats N]     per-kernel GPU time, GFLOP/s and GB/s
 *   wgtensor compile WORKLOAD --emit-wgsl DIR   write the generated kernels
 *   wgtensor ops                                the primitives and their fusion roles
 * Every command declares its options as data for `options.ts` (one strict parser: unknown
 * options and malformed values are errors, `--x=v` works) and prints its usage on --help / -h.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { registry } from "../dsl/ops/registry.js";
import { compileGraph } from "../compiler/compile.js";
import { fromFlat } from "../dsl/host/array.js";
import { sizeOf } from "../dsl/host/view.js";
import { gpu, NoAdapterError, type GpuContext } from "../runtime/webgpu/device.js";
import { compileProgram } from "../runtime/webgpu/jit.js";
import { runDemo } from "./demo.js";
import { WORKLOADS, workload, workloadProgram } from "./workloads.js";
import { forward } from "./uniformerv2.js";
import { classifyCommand } from "./classify.js";
import { parseTrain, trainCommand, TRAIN_USAGE } from "./train.js";
import { chooseBackend } from "./args.js";
import { memoryCommand } from "./memory.js";
import { tuneCommand } from "./tune.js";
import { profileHtml } from "./profile-html.js";
import { measurePeaks } from "../runtime/webgpu/peaks.js";
import { backendOption, flag, int, parse, required, str, UsageError, wantsHelp } from "./options.js";

const FORWARD_USAGE = `usage: wgtensor uniformerv2 forward --config CONFIG --weights W --input INPUT --out OUT [options]
  --config CONFIG.json   a fixture's config.json (its constructor_args are the official
                         constructor's arguments), or a preset: b16-k400, l14-k400, l14-336-k400, b16-ssv2
  --weights W            .safetensors or .pth (zip + pickle; nothing is executed)
  --input INPUT          .safetensors with "video" (N, 3, T, H, W), normalised as the official model takes it
  --out OUT              .safetensors to write ("logits"; with --intermediates also conv1, stem,
                         layer.i, layer.i.lmhra1/2, dpe.j, global.j, fused, in the official layouts)
  --backend B            auto (default: WebGPU when an adapter is available), webgpu or cpu
  --intermediates        also write the intermediates`;

const USAGE = `usage: wgtensor <command> [options]

commands:
  demo [--steps N] [--seed S] [--backend auto|webgpu|cpu]
                                 train a small typed model (spiral MLP); auto = WebGPU when an
                                 adapter is available, else the CPU interpreter
  train [--task synthetic-motion] [--steps N] [--backend auto|webgpu|cpu] [--json] [options]
                                 train a tiny UniFormerV2 on synthetic motion and a per-frame
                                 baseline; save weights and a checkpoint; classify held-out
                                 clips (what npm start runs; see train --help)
  memory [--preset b16-k400|tiny] [--batch N] [--mode all|frozen-backbone] [--checkpoint-blocks]
                                 GPU memory of one training step, from the compiled program
  info                           print the WebGPU adapter, its features and limits
  tune [--budget S] [--classes square,long-k,batched] [--show] [--clear]
                                 measure the matmul tilings on this adapter per shape class and
                                 remember the fastest (the tuning cache; see tune --help)
  profile WORKLOAD [--repeats N] [--html FILE]
                                 per-kernel GPU time (timestamp queries), GFLOP/s and GB/s;
                                 --html: timeline and roofline report
  compile WORKLOAD --emit-wgsl DIR
                                 write the generated WGSL kernels (with a header naming the
                                 graph nodes each one fuses) to DIR
  uniformerv2 forward --config CONFIG.json --weights W --input INPUT.safetensors --out OUT.safetensors
                     [--backend auto|webgpu|cpu] [--intermediates]
                                 run UniFormerV2 on official-format files (see --help)
  classify --preset b16-k400 --weights CKPT --video FILE [--views 3x4|1x1]
           [--backend auto|webgpu|cpu] [--top 5] [--labels FILE]
                                 classify a video (decoded with ffmpeg) with a released
                                 checkpoint: softmax averaged over crops × clips (see --help)
  ops                            list the primitives with their fusion roles and arities
  help                           show this text

Every command takes --help (-h), and --name=value as well as --name value.

workloads: ${Object.values(WORKLOADS)
  .map((w) => w.usage)
  .join("\n           ")}`;

const WORKLOAD_LIST = Object.values(WORKLOADS)
  .map((w) => `  ${w.usage}`)
  .join("\n");

const DEMO = {
  name: "demo",
  usage: `usage: wgtensor demo [--steps N] [--seed S] [--backend auto|webgpu|cpu]
  --steps N      training steps (default 300)
  --seed S       data and initial weights (default 0)
  --backend B    auto (default: WebGPU when an adapter is available), webgpu or cpu`,
  options: { steps: int(0), seed: int(0), backend: backendOption() },
};
const INFO = { name: "info", usage: "usage: wgtensor info\n  print the WebGPU adapter, its features and limits", options: {} };
const OPS = { name: "ops", usage: "usage: wgtensor ops\n  list the primitives with their fusion roles and arities", options: {} };
const PROFILE = {
  name: "profile",
  usage: `usage: wgtensor profile [WORKLOAD] [--repeats N] [--html FILE]
  per-kernel GPU time (timestamp queries), GFLOP/s and GB/s of a workload (default matmul)
  --repeats N    runs per kernel, the median is shown (default 5)
  --html FILE    also write a self-contained HTML report: kernel timeline and a roofline
                 against the measured FMA peak and copy bandwidth
workloads:
${WORKLOAD_LIST}`,
  options: { repeats: int(1), html: str() },
  positionals: 1,
};
const COMPILE = {
  name: "compile",
  usage: `usage: wgtensor compile [WORKLOAD] --emit-wgsl DIR
  write the generated WGSL kernels of a workload (default block:2,16,64,4) to DIR, each with a
  header naming the graph nodes it fuses
workloads:
${WORKLOAD_LIST}`,
  options: { "emit-wgsl": required() },
  positionals: 1,
};
const FORWARD = {
  name: "uniformerv2 forward",
  usage: FORWARD_USAGE,
  options: { config: required(), weights: required(), input: required(), out: required(), backend: backendOption(), intermediates: flag() },
};

/** The workload a profile/compile command line names, its errors as the command's. */
function workloadOf(command: { readonly name: string; readonly usage: string }, text: string) {
  try {
    return workload(text);
  } catch (error) {
    throw new UsageError(command.name, (error as Error).message, command.usage);
  }
}

let dawnNoted = false;
/**
 * Dawn (the `webgpu` package) writes "Warning: maxDynamic{Uniform,Storage}BuffersPerPipelineLayout
 * artificially reduced from … to 16" straight to stderr from C++ when a Vulkan driver reports
 * more dynamic-offset buffers than it supports (lavapipe, RADV: it then reports 16). No Dawn
 * toggle or environment variable silences it, so say once what it means.
 */
function noteDawnWarning(ctx: GpuContext): void {
  const limits = ctx.adapter.limits;
  if (dawnNoted || ctx.backend !== "vulkan" || limits.maxDynamicUniformBuffersPerPipelineLayout !== 16 || limits.maxDynamicStorageBuffersPerPipelineLayout !== 16) return;
  dawnNoted = true;
  console.error("wgtensor: Dawn's \"maxDynamic…BuffersPerPipelineLayout artificially reduced … to 16\" warnings are harmless: it caps the Vulkan driver's dynamic-offset buffer limits, which wgtensor does not use");
}

/** The shared device, or undefined with the reason printed on one line. */
async function tryGpu(log: (l: string) => void, features: readonly string[] = []): Promise<GpuContext | undefined> {
  try {
    const ctx = await gpu(features.length > 0 ? { features } : {});
    noteDawnWarning(ctx);
    return ctx;
  } catch (error) {
    if (!(error instanceof NoAdapterError)) throw error;
    log(`wgtensor: ${error.message}`);
    return undefined;
  }
}

export async function main(argv: readonly string[], log: (line: string) => void = console.log): Promise<number> {
  const [command = "help", ...args] = argv;
  const hasGpu = async () => (await tryGpu(log)) !== undefined;
  /** `--help` anywhere: the command's usage, and nothing runs. */
  const help = (usage: string) => {
    log(usage);
    return 0;
  };
  switch (command) {
    case "demo": {
      if (wantsHelp(args)) return help(DEMO.usage);
      const o = parse(DEMO, args);
      const backend = await chooseBackend(o.backend, hasGpu, () => log("wgtensor: falling back to the CPU interpreter"));
      if (!backend) return 1;
      await runDemo({ steps: o.steps ?? 300, seed: o.seed ?? 0, log, backend });
      return 0;
    }
    case "train": {
      if (wantsHelp(args)) return help(TRAIN_USAGE);
      const o = parseTrain(args);
      const backend = await chooseBackend(o.backend, hasGpu, () => log("wgtensor: falling back to the CPU interpreter (slower: a few minutes more)"));
      if (!backend) return 1;
      return trainCommand(o, backend, log);
    }
    case "memory":
      return memoryCommand(args, log);
    case "info": {
      if (wantsHelp(args)) return help(INFO.usage);
      parse(INFO, args);
      const ctx = await tryGpu(log);
      if (!ctx) return 1;
      const { info } = ctx;
      log(`adapter: ${info.description || info.vendor} (${info.vendor}, ${info.architecture}) via Dawn backend=${info.backend}${info.software ? ", a CPU implementation" : ""}`);
      log(`features: ${info.features.join(", ")}`);
      for (const [name, value] of Object.entries(info.limits)) log(`  ${name.padEnd(36)} ${value}`);
      return 0;
    }
    case "profile": {
      if (wantsHelp(args)) return help(PROFILE.usage);
      const o = parse(PROFILE, args);
      const repeats = o.repeats ?? 5;
      const w = workloadOf(PROFILE, o.positionals[0] ?? "matmul");
      const ctx = await tryGpu(log, ["timestamp-query"]);
      if (!ctx) return 1;
      const program = workloadProgram(w);
      const compiled = await compileProgram(program, { context: ctx });
      // Smooth values for floats; small non-negative ones for integers (labels, keys).
      const inputs = program.inputs.map((node, i) => {
        const n = sizeOf(node.shape);
        const data = node.dtype === "int32" ? new Int32Array(n) : new Float32Array(n);
        for (let k = 0; k < n; k++) data[k] = node.dtype === "int32" ? k % 4 : Math.sin(k * 0.37 + i) * 0.5;
        return fromFlat(data, node.dtype, node.shape);
      });
      await compiled.run(inputs);
      const timings = await compiled.profile(inputs, repeats);
      log(`${w.name}: ${w.describe}; ${timings.length} kernel(s) on ${ctx.info.description || ctx.info.vendor}`);
      log(`${"kernel".padEnd(22)} ${"kind".padEnd(11)} ${"ms".padStart(9)} ${"GFLOP/s".padStart(9)} ${"GB/s".padStart(8)}`);
      let total = 0;
      for (const t of timings) {
        total += t.milliseconds;
        const gflops = t.flops > 0 ? (t.flops / t.milliseconds / 1e6).toFixed(2) : "-";
        log(`${t.name.padEnd(22)} ${t.kind.padEnd(11)} ${t.milliseconds.toFixed(3).padStart(9)} ${gflops.padStart(9)} ${(t.bytes / t.milliseconds / 1e6).toFixed(2).padStart(8)}`);
      }
      log(`total ${total.toFixed(3)} ms (median of ${repeats} runs per kernel; GB/s counts each buffer a kernel binds once)`);
      if (o.html !== undefined) {
        const peaks = await measurePeaks(ctx);
        writeFileSync(o.html, profileHtml({ title: w.name, describe: w.describe, device: ctx.info.description || ctx.info.vendor, repeats, timings, peaks }));
        log(`wrote ${o.html} (roofs: FMA peak ${peaks.fma.gflops.toFixed(2)} GFLOP/s, copy ${peaks.copy.gbPerSecond.toFixed(2)} GB/s)`);
      }
      compiled.dispose();
      return 0;
    }
    case "compile": {
      if (wantsHelp(args)) return help(COMPILE.usage);
      const o = parse(COMPILE, args);
      const w = workloadOf(COMPILE, o.positionals[0] ?? "block:2,16,64,4");
      const dir = o["emit-wgsl"];
      const program = workloadProgram(w);
      const graph = compileGraph(program.outputs, { maxStorageBuffers: 8 });
      mkdirSync(dir, { recursive: true });
      for (const k of graph.kernels) writeFileSync(path.join(dir, `${k.name}.wgsl`), k.wgsl);
      log(`${w.name}: ${graph.kernels.length} kernel(s) written to ${dir}: ${graph.kernels.map((k) => k.name).join(", ")}`);
      log(`memory plan: ${graph.memory.slotBytes.length} pooled buffer(s), ${graph.memory.pooledBytes} bytes (${graph.memory.unpooledBytes} without reuse)`);
      return 0;
    }
    case "uniformerv2": {
      const [sub, ...rest] = args;
      if (sub === "--help" || sub === "-h") return help(FORWARD_USAGE);
      if (sub !== "forward") throw new Error(`uniformerv2: unknown subcommand "${sub ?? ""}" (try: wgtensor uniformerv2 forward --help)`);
      if (wantsHelp(rest)) return help(FORWARD_USAGE);
      const o = parse(FORWARD, rest);
      const backend = await chooseBackend(o.backend, hasGpu);
      if (!backend) return 1;
      await forward({ config: o.config, weights: o.weights, input: o.input, out: o.out, backend, intermediates: o.intermediates, log });
      return 0;
    }
    case "classify":
      return classifyCommand(args, log, (l) => tryGpu(l));
    case "tune":
      return tuneCommand(args, log, (l) => tryGpu(l));
    case "ops": {
      if (wantsHelp(args)) return help(OPS.usage);
      parse(OPS, args);
      for (const def of Object.values(registry())) log(`${def.name.padEnd(10)} ${def.role.padEnd(12)} arity ${def.arity}`);
      return 0;
    }
    case "help":
    case "--help":
    case "-h":
      log(USAGE);
      return 0;
    default:
      log(`wgtensor: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
