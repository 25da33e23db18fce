/**
 * @file The training-step workload of `npm run bench`: one full SGD step — forward, softmax
 * cross-entropy, gradient, parameter update — of the same MLP in wgtensor, jax-js and TF.js,
 * parameters resident on the GPU between steps in each, as each framework's fast path allows:
 *
 *   wgtensor  `Trainer` (`createWebGpuBackend`): the whole step is one compiled program and the carry
 *             (parameters, optimizer slots) never leaves its buffers
 *   jax-js    `jit` of (params, x, labels) → [params′, loss] built on `valueAndGrad`; params′
 *             stay on the device and are fed to the next call
 *   TF.js     tf.Variables and `tf.train.sgd(lr).minimize(f, true)` (eager, taped gradient;
 *             tfjs-core's gradient functions registered as the union package would, see
 *             tf-gradients.ts)
 *
 * Model: x [B, 512] → tanh(x·W₁ + b₁) [B, 1024] → tanh(·W₂ + b₂) [B, 1024] → ·W₃ + b₃ [B, 10],
 * loss = mean over the batch of −log softmax(logits)[label], plain SGD p ← p − η·∂loss/∂p.
 * Weights are stored [in, out] in all three and start from the same host arrays. Every step
 * uploads its batch (x as float32, labels as int32) from host arrays — a data loader's work —
 * and reads the scalar loss back to the host, in every framework. Batches cycle through
 * `BATCHES` fixed ones whose labels are a fixed random linear classifier's argmax, so the loss
 * visibly falls.
 */
import * as core from "../src/dsl/core.js";
import * as nn from "../src/dsl/nn/index.js";
import type { AnyTensor } from "../src/dsl/tensor.js";
import { traceArgs } from "../src/dsl/transforms.js";
import { flatten } from "../src/dsl/tree.js";
import { fromFlat, materialize, type CpuArray } from "../src/dsl/host/array.js";
import { realize } from "../src/dsl/realize.js";
import { Key } from "../src/dsl/random/threefry.js";
import type { GpuContext } from "../src/runtime/webgpu/device.js";
import { compileProgram, createWebGpuBackend } from "../src/runtime/webgpu/jit.js";
import { randomData } from "./random-data.js";
import type { WebGpuProgram } from "../src/runtime/webgpu/program.js";
import type { DotTiling } from "../src/compiler/wgsl/kernels/dot.js";
import { initOptimizer, makeStep, Trainer, type Named } from "../src/train/trainer.js";
import { registerTfGradients } from "./tf-gradients.js";

type Jax = typeof import("@jax-js/jax");
type Tf = typeof import("@tensorflow/tfjs-core");

export const MLP = { batch: 256, sizes: [512, 1024, 1024, 10] as const, lr: 0.1, batches: 4 };
const LAYERS = MLP.sizes.length - 1;
const CLASSES = MLP.sizes[LAYERS]!;

/** Matmul flops of one step: forward, ∂W of every layer, ∂x of all but the first. */
export const MLP_STEP_FLOPS = (() => {
  let f = 0;
  for (let l = 0; l < LAYERS; l++) f += 2 * MLP.batch * MLP.sizes[l]! * MLP.sizes[l + 1]! * (l === 0 ? 2 : 3);
  return f;
})();


interface HostData {
  /** w0, b0, w1, b1, … ([in, out] and [out]) in this order. */
  readonly params: { readonly name: string; readonly shape: number[]; readonly data: Float32Array }[];
  readonly batches: { readonly x: Float32Array; readonly labels: Int32Array }[];
}

let cached: HostData | undefined;

/** The initial parameters (PyTorch's nn.Linear bounds, U(±1/√in)) and the batches. */
export function hostData(): HostData {
  if (cached) return cached;
  const params: HostData["params"][number][] = [];
  for (let l = 0; l < LAYERS; l++) {
    const [i, o] = [MLP.sizes[l]!, MLP.sizes[l + 1]!];
    params.push({ name: `w${l}`, shape: [i, o], data: randomData(i * o, 100 + 2 * l, 1 / Math.sqrt(i)) });
    params.push({ name: `b${l}`, shape: [o], data: randomData(o, 101 + 2 * l, 1 / Math.sqrt(i)) });
  }
  const d = MLP.sizes[0]!;
  const teacher = randomData(d * CLASSES, 7, 1);
  const batches = Array.from({ length: MLP.batches }, (_, b) => {
    const x = randomData(MLP.batch * d, 1000 + b, 1);
    const labels = new Int32Array(MLP.batch);
    for (let r = 0; r < MLP.batch; r++) {
      let best = -Infinity;
      for (let c = 0; c < CLASSES; c++) {
        let z = 0;
        for (let k = 0; k < d; k++) z += x[r * d + k]! * teacher[k * CLASSES + c]!;
        if (z > best) [best, labels[r]] = [z, c];
      }
    }
    return { x, labels };
  });
  return (cached = { params, batches });
}

/** One framework's training run: each `step()` trains on the next batch and resolves to its loss. */
export interface StepRunner {
  readonly step: () => Promise<number>;
  /** Host copies of the current parameters, in `hostData().params` order (not timed). */
  readonly params: () => Promise<Float32Array[]>;
  readonly dispose?: () => void;
}

/**
 * How far apart two runs' parameter updates are: max over parameters of
 * max|Δa − Δb| / max|Δb|, Δ = current − initial (normwise, as the updates are small beside the
 * weights themselves; this checks the gradients, which the loss alone barely does).
 */
export function updateDifference(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  const init = hostData().params;
  let worst = 0;
  init.forEach((p, k) => {
    const [x, y] = [a[k], b[k]];
    if (!x || !y || x.length !== p.data.length || y.length !== p.data.length) {
      worst = Infinity;
      return;
    }
    let [num, den] = [0, 0];
    for (let i = 0; i < x.length; i++) {
      const dy = y[i]! - p.data[i]!;
      num = Math.max(num, Math.abs(x[i]! - p.data[i]! - dy));
      den = Math.max(den, Math.abs(dy));
    }
    const e = num / Math.max(den, 1e-30);
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  });
  return worst;
}

// ------------------------------------------------------------------ wgtensor

function wgObjective(params: Named, batch: Named): { loss: AnyTensor } {
  let h = batch.x!;
  for (let l = 0; l < LAYERS; l++) {
    const z = core.add(core.matmul(h, params[`w${l}`]!), params[`b${l}`]!);
    h = l < LAYERS - 1 ? nn.tanh(z as never) : z;
  }
  return { loss: nn.crossEntropy(h as never, batch.labels!) };
}

const wgTrainable = (h: HostData): Named => Object.fromEntries(h.params.map((p) => [p.name, core.constant(p.data, p.shape, "float32")]));
const wgBatch = (b: HostData["batches"][number]): Named<CpuArray> => ({
  x: fromFlat(b.x, "float32", [MLP.batch, MLP.sizes[0]!]),
  labels: fromFlat(b.labels, "int32", [MLP.batch]),
});

export async function wgtensorTrainer(ctx: GpuContext, dotTiling: DotTiling): Promise<StepRunner> {
  const h = hostData();
  const trainer = Trainer.create({
    objective: wgObjective,
    trainable: wgTrainable(h),
    optimizer: { kind: "sgd" },
    schedule: MLP.lr,
    key: Key.fromSeed(0),
    backend: createWebGpuBackend({ context: ctx, dotTiling }),
  });
  const batches = h.batches.map(wgBatch);
  let i = 0;
  return {
    step: async () => (await trainer.trainStep(batches[i++ % batches.length]!)).loss,
    params: async () => {
      const { trainable } = await trainer.state();
      return h.params.map((p) => Float32Array.from(materialize(trainable[p.name]!)));
    },
    dispose: () => trainer.dispose(),
  };
}

/**
 * The program the Trainer compiles (its step traced the same way, with the same input order),
 * for GPU kernel times from timestamp queries.
 */
export async function wgtensorStepProgram(ctx: GpuContext, dotTiling: DotTiling): Promise<{ prog: WebGpuProgram; args: CpuArray[] }> {
  const h = hostData();
  const trainable = wgTrainable(h);
  const carry = { trainable, buffers: {}, optimizer: initOptimizer({ kind: "sgd" }, trainable) };
  const args = [carry, {}, { x: core.constant(h.batches[0]!.x, [MLP.batch, MLP.sizes[0]!], "float32"), labels: core.constant(h.batches[0]!.labels, [MLP.batch], "int32") }, core.full([], MLP.lr), core.full([2], 0, "int32")] as const;
  const { leaves, def } = flatten(args);
  const step = makeStep({ objective: wgObjective, optimizer: { kind: "sgd" } }, trainable);
  const program = traceArgs((...a: typeof args) => step(...(a as unknown as Parameters<typeof step>)), leaves, def);
  // As the Trainer compiles it: the new carry may be written over the old (donation).
  const nCarry = flatten(carry).leaves.length;
  const donate = new Map(program.inputs.slice(0, nCarry).map((input, i) => [i, input] as const));
  const prog = await compileProgram(program, { context: ctx, dotTiling, donate });
  return { prog, args: leaves.map((t) => realize(t)) };
}

// ------------------------------------------------------------------ jax-js

export async function jaxTrainer(jax: Jax): Promise<StepRunner> {
  const np = jax.numpy;
  type A = InstanceType<Jax["Array"]>;
  type Params = Record<string, A>;
  const h = hostData();
  const lossOf = (p: Params, x: A, labels: A): A => {
    let a = x;
    for (let l = 0; l < LAYERS; l++) {
      const z = np.matmul(a, p[`w${l}`]!).add(p[`b${l}`]!);
      a = l < LAYERS - 1 ? np.tanh(z) : z;
    }
    // mean over the batch of −Σ onehot · log softmax
    return jax.nn.logSoftmax(a, -1).mul(jax.nn.oneHot(labels, CLASSES)).sum().mul(-1 / MLP.batch);
  };
  const step = jax.jit((p: Params, x: A, labels: A) => {
    const [loss, grads] = jax.valueAndGrad(lossOf)(jax.tree.ref(p), x, labels);
    const next = jax.tree.map((w: A, g: A) => w.sub(g.mul(MLP.lr)), p, grads as Params) as Params;
    return [next, loss] as [Params, A];
  });
  let params: Params = Object.fromEntries(h.params.map((p) => [p.name, np.array(p.data, { shape: p.shape })]));
  let i = 0;
  return {
    step: async () => {
      const b = h.batches[i++ % h.batches.length]!;
      const [next, loss] = step(params, np.array(b.x, { shape: [MLP.batch, MLP.sizes[0]!] }), np.array(b.labels, { shape: [MLP.batch], dtype: np.int32 }));
      params = next;
      return (await loss.data())[0]!;
    },
    params: async () => Promise.all(h.params.map(async (p) => Float32Array.from(await params[p.name]!.ref.data()))),
    dispose: () => {
      jax.tree.dispose(params);
      step.dispose();
    },
  };
}

// ------------------------------------------------------------------ TF.js

export async function tfTrainer(tf: Tf): Promise<StepRunner> {
  await registerTfGradients();
  const h = hostData();
  const vars = h.params.map((p) => tf.variable(tf.tensor(p.data, p.shape), true, `mlp_${p.name}_${Math.random().toString(36).slice(2)}`));
  const optimizer = tf.train.sgd(MLP.lr);
  let i = 0;
  return {
    step: async () => {
      const b = h.batches[i++ % h.batches.length]!;
      const x = tf.tensor2d(b.x, [MLP.batch, MLP.sizes[0]!]);
      const labels = tf.tensor1d(b.labels, "int32");
      const cost = optimizer.minimize(
        () => {
          let a: import("@tensorflow/tfjs-core").Tensor = x;
          for (let l = 0; l < LAYERS; l++) {
            const z = tf.add(tf.matMul(a, vars[2 * l]!), vars[2 * l + 1]!);
            a = l < LAYERS - 1 ? tf.tanh(z) : z;
          }
          return tf.mul(tf.sum(tf.mul(tf.logSoftmax(a, -1), tf.oneHot(labels, CLASSES))), -1 / MLP.batch) as import("@tensorflow/tfjs-core").Scalar;
        },
        true,
        vars,
      )!;
      const loss = (await cost.data())[0]!;
      tf.dispose([x, labels, cost]);
      return loss;
    },
    params: async () => Promise.all(vars.map(async (v) => Float32Array.from(await v.data()))),
    dispose: () => {
      tf.dispose(vars);
      optimizer.dispose();
    },
  };
}
