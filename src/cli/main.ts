/**
 * @file The `wgtensor` command line.
 *   wgtensor demo [--steps N] [--seed S] [--backend auto|webgpu|cpu]
 *   wgtensor train [--task synthetic-motion] [options]   (npm start)
 *   wgtensor memory [--preset P] [--batch N] [--checkpoint-blocks]   GPU memory of a training step
 *   wgtensor info                               the WebGPU adapter, its features and limits
 *   wgtensor profile WORKLOAD [--repeats N]     per-kernel GPU time, GFLOP/s and GB/s
 *   wgtensor compile WORKLOAD --emit-wgsl DIR   write the generated kernels
 *   wgtensor ops                                the primitives and their fusion roles
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { registry } from "../dsl/ops/registry.js";
import { compileGraph } from "../compiler/compile.js";
import { fromFlat } from "../runtime/cpu/array.js";
import { sizeOf } from "../runtime/cpu/view.js";
import { gpu, NoAdapterError, type GpuContext } from "../runtime/webgpu/device.js";
import { compileProgram } from "../runtime/webgpu/jit.js";
import { runDemo } from "./demo.js";
import { WORKLOADS, workload, workloadProgram } from "./workloads.js";
import { forward } from "./uniformerv2.js";
import { classifyCommand } from "./classify.js";
import { trainCommand, TRAIN_USAGE } from "./train.js";
import { chooseBackend, count, text } from "./args.js";
import { memoryCommand, MEMORY_USAGE } from "./memory.js";

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
  profile WORKLOAD [--repeats N] per-kernel GPU time (timestamp queries), GFLOP/s and GB/s
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

workloads: ${Object.values(WORKLOADS)
  .map((w) => w.usage)
  .join("\n           ")}`;

/** The shared device, or undefined with the reason printed on one line. */
async function tryGpu(log: (l: string) => void, features: readonly string[] = []): Promise<GpuContext | undefined> {
  try {
    return await gpu(features.length > 0 ? { features } : {});
  } catch (error) {
    if (!(error instanceof NoAdapterError)) throw error;
    log(`wgtensor: ${error.message}`);
    return undefined;
  }
}

export async function main(argv: readonly string[], log: (line: string) => void = console.log): Promise<number> {
  const [command = "help", ...args] = argv;
  const hasGpu = async () => (await tryGpu(log)) !== undefined;
  switch (command) {
    case "demo": {
      const backend = await chooseBackend(args, hasGpu, () => log("wgtensor: falling back to the CPU interpreter"));
      if (!backend) return 1;
      await runDemo({ steps: count(args, "--steps", 300), seed: count(args, "--seed", 0), log, backend });
      return 0;
    }
    case "train": {
      if (args.includes("--help")) {
        log(TRAIN_USAGE);
        return 0;
      }
      const backend = await chooseBackend(args, hasGpu, () => log("wgtensor: falling back to the CPU interpreter (slower: a few minutes more)"));
      if (!backend) return 1;
      return trainCommand(args, backend, log);
    }
    case "memory":
      if (args.includes("--help")) {
        log(MEMORY_USAGE);
        return 0;
      }
      return memoryCommand(args, log);
    case "info": {
      const ctx = await tryGpu(log);
      if (!ctx) return 1;
      const { info } = ctx;
      log(`adapter: ${info.description || info.vendor} (${info.vendor}, ${info.architecture}) via Dawn backend=${info.backend}${info.software ? ", a CPU implementation" : ""}`);
      log(`features: ${info.features.join(", ")}`);
      for (const [name, value] of Object.entries(info.limits)) log(`  ${name.padEnd(36)} ${value}`);
      return 0;
    }
    case "profile": {
      const w = workload(args[0] ?? "matmul");
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
      const timings = await compiled.profile(inputs, count(args, "--repeats", 5));
      log(`${w.name}: ${w.describe}; ${timings.length} kernel(s) on ${ctx.info.description || ctx.info.vendor}`);
      log(`${"kernel".padEnd(22)} ${"kind".padEnd(11)} ${"ms".padStart(9)} ${"GFLOP/s".padStart(9)} ${"GB/s".padStart(8)}`);
      let total = 0;
      for (const t of timings) {
        total += t.milliseconds;
        const gflops = t.flops > 0 ? (t.flops / t.milliseconds / 1e6).toFixed(2) : "-";
        log(`${t.name.padEnd(22)} ${t.kind.padEnd(11)} ${t.milliseconds.toFixed(3).padStart(9)} ${gflops.padStart(9)} ${(t.bytes / t.milliseconds / 1e6).toFixed(2).padStart(8)}`);
      }
      log(`total ${total.toFixed(3)} ms (median of ${count(args, "--repeats", 5)} runs per kernel; GB/s counts each buffer a kernel binds once)`);
      compiled.dispose();
      return 0;
    }
    case "compile": {
      const w = workload(args[0] ?? "block:2,16,64,4");
      const dir = text(args, "--emit-wgsl");
      if (!dir) throw new Error("compile: --emit-wgsl DIR is required");
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
      if (sub !== "forward") throw new Error(`uniformerv2: unknown subcommand "${sub ?? ""}" (try: wgtensor uniformerv2 forward --help)`);
      if (rest.includes("--help")) {
        log(FORWARD_USAGE);
        return 0;
      }
      const need = (name: string) => {
        const v = text(rest, name);
        if (!v) throw new Error(`uniformerv2 forward: ${name} is required\n\n${FORWARD_USAGE}`);
        return v;
      };
      const backend = await chooseBackend(rest, hasGpu);
      if (!backend) return 1;
      await forward({
        config: need("--config"),
        weights: need("--weights"),
        input: need("--input"),
        out: need("--out"),
        backend,
        intermediates: rest.includes("--intermediates"),
        log,
      });
      return 0;
    }
    case "classify":
      return classifyCommand(args, log, (l) => tryGpu(l));
    case "ops": {
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
