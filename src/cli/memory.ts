/**
 * @file `wgtensor memory`: the GPU memory of one UniFormerV2 training step, from the compiled
 * program (no GPU needed): the input buffers (parameters, optimizer state and BatchNorm
 * buffers, which the Trainer keeps resident there, and the batch), constants, and the pool of
 * kernel outputs. See train/memory.ts for what each line counts.
 */
import { PRESETS, preset, type UniFormerV2Config } from "../models/uniformerv2/config.js";
import { FINE_TUNE_MODES, type FineTuneMode } from "../models/uniformerv2/finetune.js";
import { MOTION_CONFIG } from "../train/motion.js";
import { trainingStepMemory, type AdapterKind } from "../train/memory.js";
import type { OptimizerSpec } from "../train/trainer.js";
import { flag, int, oneOf, parse, str, wantsHelp } from "./options.js";

export const MEMORY_USAGE = `usage: wgtensor memory [--preset b16-k400|tiny|…] [--batch N] [--mode all|frozen-backbone]
                       [--checkpoint-blocks] [--optimizer adamw|sgd] [--adapter discrete|software] [--json]
  --preset P             a released config (${Object.keys(PRESETS).join(", ")}) or tiny, the demo's
                         model (default b16-k400)
  --batch N              clips a step (default 1; 16 for tiny)
  --mode M               all (default) or frozen-backbone
  --checkpoint-blocks    recompute each block in the backward pass instead of keeping its activations
  --optimizer O          adamw (default, weight decay 0.05) or sgd (momentum 0.9)
  --adapter A            compile as for a discrete GPU (default: flash attention, layerNorm prologues)
                         or a software adapter such as lavapipe (neither); 8 storage buffers, 16 KiB
                         of workgroup memory either way
  --json                 one JSON line instead of the table`;

export const MEMORY = {
  name: "memory",
  usage: MEMORY_USAGE,
  options: {
    preset: str(),
    batch: int(1),
    mode: oneOf(...FINE_TUNE_MODES),
    "checkpoint-blocks": flag(),
    optimizer: oneOf("adamw", "sgd"),
    adapter: oneOf("discrete", "software"),
    json: flag(),
  },
};

export async function memoryCommand(args: readonly string[], log: (line: string) => void): Promise<number> {
  if (wantsHelp(args)) {
    log(MEMORY_USAGE);
    return 0;
  }
  const o = parse(MEMORY, args);
  const presetName = o.preset ?? "b16-k400";
  const config: UniFormerV2Config = presetName === "tiny" ? MOTION_CONFIG : preset(presetName);
  const batch = o.batch ?? (presetName === "tiny" ? 16 : 1);
  const mode: FineTuneMode = o.mode ?? "all";
  const optimizerName = o.optimizer ?? "adamw";
  const optimizer: OptimizerSpec = optimizerName === "sgd" ? { kind: "sgd", momentum: 0.9, weightDecay: 5e-4 } : { kind: "adamw", weightDecay: 0.05 };
  const adapter: AdapterKind = o.adapter ?? "discrete";
  const checkpointBlocks = o["checkpoint-blocks"];

  const m = trainingStepMemory(config, { batch, mode, checkpointBlocks, optimizer, adapter });
  const mib = (bytes: number) => bytes / 2 ** 20;
  if (o.json) {
    const inputs = Object.fromEntries(Object.entries(m.inputs).map(([k, v]) => [k, mib(v)]));
    log(JSON.stringify({ preset: presetName, batch, mode, checkpointBlocks, optimizer: optimizerName, adapter, mib: { inputs, constants: mib(m.constants), pooled: mib(m.pooled), pool: Object.fromEntries(Object.entries(m.pool).map(([k, v]) => [k, mib(v)])), total: mib(m.total) }, kernels: m.kernels, parameters: m.parameters, seconds: m.seconds }));
    return 0;
  }
  const row = (label: string, bytes: number, note = "") => log(`  ${label.padEnd(20)}${mib(bytes).toFixed(1).padStart(10)} MiB${note ? `   ${note}` : ""}`);
  const millions = (n: number) => `${(n / 1e6).toFixed(2)} M`;
  log(`UniFormerV2 ${presetName}, batch ${batch} (${config.frames}×${config.inputResolution}²), mode ${mode}, ${optimizerName}, blocks ${checkpointBlocks ? "checkpointed" : "not checkpointed"}`);
  log(`  compiled as for a ${adapter} adapter (8 storage buffers, 16 KiB workgroup memory): ${m.kernels} kernels; traced in ${m.seconds.trace.toFixed(1)} s, compiled in ${m.seconds.compile.toFixed(1)} s`);
  log(`  parameters: ${millions(m.parameters.trainable)} trainable, ${millions(m.parameters.frozen)} frozen`);
  row("trainable", m.inputs.trainable, "inputs; the carry (trainable, buffers, optimizer) lives here");
  row("frozen", m.inputs.frozen);
  row("buffers", m.inputs.buffers, "BatchNorm running statistics");
  row("optimizer state", m.inputs.optimizer);
  row("batch", m.inputs.batch, "videos, labels, learning rate, key");
  row("constants", m.constants);
  row("pooled", m.pooled, "kernel outputs, buffers reused after their last use");
  row("  at most live", m.pool.peakLive, "at one time (no plan needs less)");
  row("  new carry", m.pool.carryOut, "computed into the pool, copied over the inputs at the end");
  row("  working peak", m.pool.workingPeak, "activations, gradients, recomputations live at once");
  row("in place", m.carryInPlace.bytes, `${m.carryInPlace.values} carry values written straight over their inputs (not pooled)`);
  row("total", m.total, "inputs + constants + pooled (Trainer.deviceBytes)");
  return 0;
}
