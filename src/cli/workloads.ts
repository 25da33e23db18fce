/**
 * @file Named workloads for `wgtensor profile` and `wgtensor compile`: small programs whose
 * kernels are worth looking at (a matmul, a layerNorm, a copy for scale, attention, a whole
 * transformer block, the main job's training step): a function with its input specs, or a
 * program traced by other means.
 */
import * as core from "../dsl/core.js";
import * as nn from "../dsl/nn/index.js";
import type { AnyTensor } from "../dsl/tensor.js";
import { spec, trace, traceArgs, type Program, type Spec } from "../dsl/transforms.js";
import { traceTrainingStep } from "../train/memory.js";
import { MOTION_CONFIG } from "../train/motion.js";
import { Key } from "../dsl/random/threefry.js";
import { normal, zeros } from "../dsl/api/creation.js";
import { realize } from "../dsl/realize.js";
import { flatten } from "../dsl/tree.js";
import { initParams, preset, uniformerv2, PRESETS } from "../models/uniformerv2/index.js";

/** A function and its input specs, traced by `workloadProgram`. */
export interface FunctionWorkload {
  readonly name: string;
  readonly describe: string;
  readonly specs: readonly Spec[];
  readonly fn: (...xs: AnyTensor[]) => AnyTensor;
}

/** A program traced by other means (a training step, with pytrees of inputs and outputs). */
export interface ProgramWorkload {
  readonly name: string;
  readonly describe: string;
  readonly program: Program;
}

export type Workload = FunctionWorkload | ProgramWorkload;

export function workloadProgram(w: Workload): Program {
  return "program" in w ? w.program : trace((...xs: readonly AnyTensor[]) => w.fn(...xs), w.specs);
}

const int = (text: string | undefined, fallback: number, what: string): number => {
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`workload: ${what} must be a positive integer, got "${text}"`);
  return n;
};

/** A parameter as a constant buffer (realized now, so kernels read it rather than recompute it). */
function param(key: Key, shape: readonly number[], std: number): AnyTensor {
  return core.fromHost(realize(normal(key, shape, std)));
}

export const WORKLOADS: Record<string, { readonly usage: string; readonly make: (args: readonly string[]) => Workload }> = {
  matmul: {
    usage: "matmul[:N] (N×N·N×N, default 1024)",
    make: ([n]) => {
      const size = int(n, 1024, "N");
      return { name: `matmul ${size}³`, describe: "fp32 matmul", specs: [spec([size, size]), spec([size, size])], fn: (a, b) => core.matmul(a!, b!) };
    },
  },
  layernorm: {
    usage: "layernorm[:ROWS,C] (default 1576,768)",
    make: ([r, c]) => {
      const rows = int(r, 1576, "ROWS");
      const ch = int(c, 768, "C");
      const k = Key.fromSeed(0).split(2);
      const params = { weight: param(k[0]!, [ch], 1), bias: param(k[1]!, [ch], 1) };
      return { name: `layerNorm ${rows}×${ch}`, describe: "LayerNorm over the last dim", specs: [spec([rows, ch])], fn: (x) => nn.layerNorm(x!, params) };
    },
  },
  copy: {
    usage: "copy[:N] (N elements, default 1576·768)",
    make: ([n]) => {
      const size = int(n, 1576 * 768, "N");
      return { name: `copy ${size}`, describe: "a plain elementwise pass (−x), for scale", specs: [spec([size])], fn: (x) => core.neg(x!) };
    },
  },
  attention: {
    usage: "attention[:HEADS,L,D] (default 24,197,64)",
    make: ([h, l, d]) => {
      const [heads, len, dim] = [int(h, 24, "HEADS"), int(l, 197, "L"), int(d, 64, "D")];
      return {
        name: `attention ${heads}×${len}×${dim}`,
        describe: "softmax(QKᵀ/√d)V",
        specs: [spec([heads, len, dim]), spec([heads, len, dim]), spec([heads, len, dim])],
        fn: (q, k, v) => nn.scaledDotProductAttention(q!, k!, v!),
      };
    },
  },
  block: {
    usage: "block[:B,L,C,HEADS] (a CLIP ViT block; default 8,197,768,12)",
    make: ([b, l, c, h]) => {
      const [batch, len, ch, heads] = [int(b, 8, "B"), int(l, 197, "L"), int(c, 768, "C"), int(h, 12, "HEADS")];
      const k = Key.fromSeed(1).split(12);
      const p = {
        ln1: { weight: param(k[0]!, [ch], 1), bias: param(k[1]!, [ch], 0.1) },
        attn: {
          inProjWeight: param(k[2]!, [3 * ch, ch], 1 / Math.sqrt(ch)),
          inProjBias: param(k[3]!, [3 * ch], 0.02),
          outProj: { weight: param(k[4]!, [ch, ch], 1 / Math.sqrt(ch)), bias: param(k[5]!, [ch], 0.02) },
        },
        ln2: { weight: param(k[6]!, [ch], 1), bias: param(k[7]!, [ch], 0.1) },
        fc1: { weight: param(k[8]!, [4 * ch, ch], 1 / Math.sqrt(ch)), bias: param(k[9]!, [4 * ch], 0.02) },
        fc2: { weight: param(k[10]!, [ch, 4 * ch], 1 / Math.sqrt(4 * ch)), bias: param(k[11]!, [ch], 0.02) },
      };
      return {
        name: `block ${batch}×${len}×${ch}, ${heads} heads`,
        describe: "x + MHSA(LN₁ x); h + MLP(LN₂ h) with QuickGELU",
        specs: [spec([batch, len, ch])],
        fn: (x) => {
          const hid = core.add(x!, nn.selfAttention(nn.layerNorm(x!, p.ln1), p.attn, { numHeads: heads }));
          return core.add(hid, nn.linear(nn.quickGelu(nn.linear(nn.layerNorm(hid, p.ln2), p.fc1)), p.fc2));
        },
      };
    },
  },
  uniformerv2: {
    usage: `uniformerv2[:PRESET] (the model's forward on one clip, the weights as program inputs; PRESET one of ${Object.keys(PRESETS).join(", ")}, default b16-k400)`,
    make: ([name = "b16-k400"]) => {
      const config = preset(name);
      const params = initParams(config, Key.fromSeed(0));
      const video = zeros([1, config.frames, config.inputResolution, config.inputResolution, 3]);
      const { leaves, def } = flatten([params, video]);
      const program = traceArgs((p: typeof params, v: typeof video) => uniformerv2(p, v, config).logits, leaves, def);
      return { name: `uniformerv2 ${name}`, describe: `forward of one ${config.frames}×${config.inputResolution}² clip`, program };
    },
  },
  "train-step": {
    usage: "train-step[:B] (the main job's UniFormerV2 training step: loss, gradient, AdamW; batch B, default 16)",
    make: ([b]) => {
      const batch = int(b, 16, "B");
      const { program } = traceTrainingStep(MOTION_CONFIG, { batch });
      return { name: `train step, batch ${batch}`, describe: "tiny UniFormerV2 on 8×32² clips: forward, cross-entropy, gradient, clipping, AdamW", program };
    },
  },
};

/** "name:arg,arg" → a workload. */
export function workload(text: string): Workload {
  const [name = "", args = ""] = text.split(":");
  const entry = WORKLOADS[name];
  if (!entry) throw new Error(`unknown workload "${name}"; choose from: ${Object.values(WORKLOADS).map((w) => w.usage).join("; ")}`);
  return entry.make(args === "" ? [] : args.split(","));
}
