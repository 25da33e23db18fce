/**
 * @file Programs whose kernels the Inspect tab compiles and profiles: a matmul chain, CLIP ViT
 * blocks (small and B/16-sized), the demo UniFormerV2's forward pass and its whole training
 * step. Each is traced with the public API into a `Program`; parameters are closed-over
 * tensors, which the compiler folds into constant buffers.
 */
import * as wg from "../../src/index.js";

export interface Workload {
  readonly id: string;
  readonly title: string;
  readonly describe: string;
  /** Inputs of the profiled run: random normal, or zeros (a training step's optimizer state). */
  readonly inputs: "normal" | "zeros";
  readonly build: () => wg.Program;
}


/** A CLIP ViT block's parameters (as src/cli/workloads.ts draws them), fixed by `seed`. */
function blockParams(width: number, seed: number) {
  const k = wg.Key.fromSeed(seed).split(8);
  const std = 1 / Math.sqrt(width);
  return {
    ln1: { weight: wg.core.full([width], 1), bias: wg.core.full([width], 0) },
    attn: {
      inProjWeight: wg.normal(k[0]!, [3 * width, width], std),
      inProjBias: wg.normal(k[1]!, [3 * width], 0.02),
      outProj: { weight: wg.normal(k[2]!, [width, width], std), bias: wg.normal(k[3]!, [width], 0.02) },
    },
    ln2: { weight: wg.core.full([width], 1), bias: wg.core.full([width], 0) },
    fc1: { weight: wg.normal(k[4]!, [4 * width, width], std), bias: wg.normal(k[5]!, [4 * width], 0.02) },
    fc2: { weight: wg.normal(k[6]!, [width, 4 * width], std / 2), bias: wg.normal(k[7]!, [width], 0.02) },
  };
}

/** x + MHSA(LN₁ x), then h + MLP(LN₂ h) with QuickGELU: one CLIP ViT block. */
function block(batch: number, tokens: number, width: number, heads: number): wg.Program {
  const p = blockParams(width, 1);
  return wg.trace(
    (x) => {
      const h = wg.core.add(x, wg.nn.selfAttention(wg.nn.layerNorm(x, p.ln1), p.attn, { numHeads: heads }));
      return wg.core.add(h, wg.nn.linear(wg.nn.quickGelu(wg.nn.linear(wg.nn.layerNorm(h, p.ln2), p.fc1)), p.fc2));
    },
    [wg.spec([batch, tokens, width])],
  );
}

export const WORKLOADS: readonly Workload[] = [
  {
    id: "mlp",
    title: "matmul chain: 3 layers, 512×512",
    describe: "tanh(tanh(x·W₁ + b₁)·W₂ + b₂)·W₃ on a [512, 512] input: bias and tanh fuse into each matmul's epilogue",
    inputs: "normal",
    build: () => {
      const k = wg.Key.fromSeed(2).split(5);
      const w = [0, 1, 2].map((i) => wg.normal(k[i]!, [512, 512], 1 / Math.sqrt(512)));
      const b = [3, 4].map((i) => wg.normal(k[i]!, [512], 0.1));
      return wg.trace(
        (x) => {
          const h1 = wg.tanh(wg.add(wg.matmul(x, w[0]!), b[0]!));
          const h2 = wg.tanh(wg.add(wg.matmul(h1, w[1]!), b[1]!));
          return wg.matmul(h2, w[2]!);
        },
        [wg.spec([512, 512])],
      );
    },
  },
  {
    id: "block-small",
    title: "transformer block 4×65×128, 4 heads",
    describe: "a small CLIP ViT block (layerNorm, multi-head attention, QuickGELU MLP, residuals)",
    inputs: "normal",
    build: () => block(4, 65, 128, 4),
  },
  {
    id: "block-b16",
    title: "transformer block 1×197×768, 12 heads (B/16-sized; slow on software adapters)",
    describe: "one ViT-B/16 block on one frame's 197 tokens",
    inputs: "normal",
    build: () => block(1, 197, 768, 12),
  },
  {
    id: "forward",
    title: "UniFormerV2 forward: demo model, 16 clips",
    describe: "the Train tab's model (8×32², width 32, LT-MHRA, 2 global blocks) classifying a batch of 16 clips",
    inputs: "normal",
    build: () => {
      const config = wg.motion.MOTION_CONFIG;
      const params = wg.uniformerv2.initParams(config, wg.Key.fromSeed(0));
      return wg.trace((videos) => wg.uniformerv2.uniformerv2(params, videos, config).logits, [wg.spec([16, config.frames, config.inputResolution, config.inputResolution, 3])]);
    },
  },
  {
    id: "train-step",
    title: "UniFormerV2 training step: demo model, batch 16",
    describe: "forward, cross-entropy, the gradient (a graph transform), clipping and AdamW in one program — what the Train tab replays every step",
    inputs: "zeros",
    build: () => wg.traceTrainingStep(wg.motion.MOTION_CONFIG, { batch: 16 }).program,
  },
];

type HostArray = ReturnType<typeof wg.realize>;

/** Host values for every input of `program`. */
export function workloadInputs(program: wg.Program, kind: Workload["inputs"]): HostArray[] {
  const keys = wg.Key.fromSeed(7).split(Math.max(1, program.inputs.length));
  return program.inputs.map((node, i) =>
    kind === "normal" && node.dtype === "float32" ? wg.realize(wg.normal(keys[i]!, [...node.shape])) : wg.realize(wg.core.full(node.shape, 0, node.dtype)),
  );
}
