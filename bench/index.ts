/**
 * @file `npm run bench`: wgtensor vs jax-js vs TF.js (WebGPU backend), side by side in one
 * process on the same Dawn adapter (see peers.ts).
 *
 * Every framework is timed end to end per call: upload the inputs from host Float32Arrays,
 * run, read the result back (submit and wait included). Warm-up calls first (they include
 * shader compilation, which on lavapipe is an LLVM JIT and can take seconds), then `repeats`
 * rounds in which the frameworks take turns, so a noisy machine slows them alike; medians are
 * reported. wgtensor's kernels are also timed on the GPU with timestamp queries
 * (`WebGpuProgram.profile`). Outputs are cross-checked against wgtensor's.
 *
 * The training-step case ("train", see train-step.ts) times one SGD step of an MLP per call,
 * parameters resident on the device in each framework; its warm-up steps double as a check that
 * the three compute the same loss trajectory from the same weights and batches.
 *
 * Model scale: "vit-block" is a CLIP ViT-B/16 block (8 clips × 197 tokens × 768, 12 heads, MLP
 * 3072, QuickGELU) in all three frameworks, weights resident on the device, the input uploaded
 * per call; "uniformerv2-b16" is a UniFormerV2-B/16 forward (8×224², random weights, resident)
 * in wgtensor alone: its first call (compile + run) and its e2e per call, no ratios.
 *
 * `--json` (or BENCH_JSON=1): after the tables, one last line of JSON (bench/report.ts):
 *   {"cases":[{"id":…,"ratios":{"jax-js":…,"tfjs":…},"ms":{…},…}],"geomean":{"jax-js":…,"tfjs":…}}
 *
 * Env: BENCH_BACKEND=vulkan|opengles (default vulkan, see peers.ts), BENCH_REPEATS (default 7),
 * BENCH_WARMUP (2), BENCH_ONLY (comma list of case ids: tiny,mm256,mm512,mm1024,ln,attn,train,
 * vit-block,uniformerv2-b16,copy), BENCH_TRAIN_REPEATS (default 5), BENCH_TRAIN_WARMUP (3: the
 * steps whose losses are compared), BENCH_MODEL_REPEATS (default 3) and BENCH_MODEL_WARMUP (1):
 * rounds and warm-up calls of the two model-scale cases (seconds per call on a CPU adapter),
 * BENCH_TUNE=1 (measure dot tilings with tuneDot first), BENCH_TILING='{"tm":…}' (force one).
 */
import { randomData } from "./random-data.js";
import { vec4CopyKernel } from "../src/runtime/webgpu/peaks.js";
import { backend, describeAdapter } from "./peers.js";
import { fromFlat, materialize, type CpuArray } from "../src/dsl/host/array.js";
import * as core from "../src/dsl/core.js";
import * as nn from "../src/dsl/nn/index.js";
import { spec, trace } from "../src/dsl/transforms.js";
import { gpu } from "../src/runtime/webgpu/device.js";
import { compileProgram } from "../src/runtime/webgpu/jit.js";
import type { WebGpuProgram } from "../src/runtime/webgpu/program.js";
import { DEFAULT_DOT_TILING, type DotTiling } from "../src/compiler/wgsl/kernels/dot.js";
import { dotTilingFor } from "../src/runtime/webgpu/dot-tiling.js";
import { tuneDot } from "../src/runtime/webgpu/tune-dot.js";
import { benchJson, benchJsonLine, ratioOf, type CaseTimings } from "./report.js";
import { treeMap } from "../src/dsl/tree.js";
import { realize } from "../src/dsl/realize.js";
import { Key } from "../src/dsl/random/threefry.js";
import { uniform } from "../src/dsl/api/creation.js";
import { gpuJit } from "../src/runtime/webgpu/jit.js";
import { preset, initParams, uniformerv2 } from "../src/models/uniformerv2/index.js";
import { jaxTrainer, MLP, MLP_STEP_FLOPS, tfTrainer, updateDifference, wgtensorStepProgram, wgtensorTrainer, type StepRunner } from "./train-step.js";

type Jax = typeof import("@jax-js/jax");
type Tf = typeof import("@tensorflow/tfjs-core");

const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const ONLY = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
const TRAIN_REPEATS = Number(process.env.BENCH_TRAIN_REPEATS ?? 5);
const TRAIN_WARMUP = Math.max(1, Number(process.env.BENCH_TRAIN_WARMUP ?? 3));
const MODEL_REPEATS = Number(process.env.BENCH_MODEL_REPEATS ?? 3);
const MODEL_WARMUP = Number(process.env.BENCH_MODEL_WARMUP ?? 1);
const JSON_OUT = process.argv.includes("--json") || process.env.BENCH_JSON === "1";
/** Largest relative difference of the warm-up losses (vs wgtensor's) for a valid training comparison. */
const LOSS_RTOL = 1e-3;
/** Largest normwise difference of the parameter updates after the warm-up steps (train-step.ts updateDifference). */
const UPDATE_RTOL = 1e-3;

// ------------------------------------------------------------------ set-up

const ctx = await gpu();
let tiling: DotTiling = process.env.BENCH_TILING ? (JSON.parse(process.env.BENCH_TILING) as DotTiling) : dotTilingFor(ctx);
if (process.env.BENCH_TUNE === "1") {
  console.log("tuneDot (512³, best of 3):");
  tiling = await tuneDot(ctx, { onResult: (t, g) => console.log(`  ${g.toFixed(2).padStart(7)} GFLOP/s  ${JSON.stringify(t)}`) });
}

let jax: Jax | undefined;
let jaxWhy = "";
try {
  jax = await import("@jax-js/jax");
  const devices = await jax.init("webgpu");
  if (!devices.includes("webgpu")) throw new Error(`jax.init("webgpu") found no WebGPU device (got ${devices.join(", ")})`);
  jax.defaultDevice("webgpu");
} catch (error) {
  jaxWhy = error instanceof Error ? error.message : String(error);
  jax = undefined;
}

let tf: Tf | undefined;
let tfWhy = "";
try {
  tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!(await tf.setBackend("webgpu"))) throw new Error("tf.setBackend('webgpu') returned false");
  await tf.ready();
} catch (error) {
  tfWhy = error instanceof Error ? error.message : String(error);
  tf = undefined;
}

const adapterOf = {
  wgtensor: describeAdapter(ctx.adapter.info),
  "jax-js": jax ? describeAdapter((jax.getWebGPUDevice() as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo) : `not run: ${jaxWhy}`,
  tfjs: tf ? describeAdapter((tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string; description?: string } }).adapterInfo as GPUAdapterInfo | undefined) : `not run: ${tfWhy}`,
};
console.log(`Dawn backend ${backend}, one instance shared as navigator.gpu; node ${process.version}; ${ctx.device.features.has("timestamp-query") ? "timestamp queries available" : "no timestamp queries (no GPU kernel times)"}`);
for (const [k, v] of Object.entries(adapterOf)) console.log(`  ${k.padEnd(9)} adapter: ${v}`);
console.log(`wgtensor dot tiling: ${JSON.stringify(tiling)}${tiling === DEFAULT_DOT_TILING ? " (static default)" : ""}`);
console.log(`timing: ${WARMUP} warm-up calls each, then median of ${REPEATS} rounds (frameworks interleaved), end to end = upload + run + readback`);
console.log(`model scale (vit-block, uniformerv2-b16): ${MODEL_WARMUP} warm-up call(s) (the first includes the compile), then median of ${MODEL_REPEATS} rounds (BENCH_MODEL_WARMUP, BENCH_MODEL_REPEATS)`);
console.log(`training step: ${TRAIN_WARMUP} warm-up steps (their losses compared across frameworks), then median of ${TRAIN_REPEATS} rounds; a step = upload the batch, step, read the loss back\n`);

// ------------------------------------------------------------------ helpers


const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

interface Runner {
  /** One end-to-end call; resolves to the output on the host. */
  readonly call: () => Promise<ArrayLike<number>>;
  readonly dispose?: () => void;
  /** Training case: host copies of the parameters (after the warm-up steps, untimed). */
  readonly params?: () => Promise<Float32Array[]>;
}

type Framework = "wgtensor" | "jax-js" | "tfjs";
const FRAMEWORKS: readonly Framework[] = ["wgtensor", "jax-js", "tfjs"];

interface Result {
  readonly ms?: number;
  readonly best?: number;
  readonly error?: string;
  readonly diff?: number;
  /** Make (compile) + the first call, ms. */
  readonly firstMs?: number;
  /** Outputs of the warm-up calls (the training case compares its losses). */
  readonly warm?: readonly (readonly number[])[];
}

interface Case {
  readonly id: string;
  readonly title: string;
  /** Work for the rate column: flops (GFLOP/s) or bytes moved (GB/s). */
  readonly work: { readonly flops?: number; readonly bytes?: number };
  readonly runners: Partial<Record<Framework, () => Promise<Runner>>>;
  /** wgtensor's program, for GPU time from timestamp queries. */
  readonly program?: () => Promise<{ prog: WebGpuProgram; args: CpuArray[] }>;
  /** Rounds and warm-up calls, when not BENCH_REPEATS / BENCH_WARMUP. */
  readonly repeats?: number;
  readonly warmup?: number;
  /** A call is one training step: the rate column shows steps/s too, the warm-up losses are compared. */
  readonly trainingStep?: boolean;
  /** Per framework: how the case runs there, or what it cannot do (printed under Notes). */
  readonly caveats?: Partial<Record<Framework, string>>;
  /** wgtensor alone (no peer has the model): no ratios, out of the geometric mean. */
  readonly wgtensorOnly?: boolean;
}

interface Row {
  readonly c: Case;
  readonly results: Record<Framework, Result>;
  readonly kernel?: { ms: number; names: string };
  /** Training case: max relative loss difference over the warm-up steps, per peer (vs wgtensor). */
  readonly lossRel?: Partial<Record<Framework, number>>;
  /** Training case: normwise difference of the parameter updates after the warm-up steps (updateDifference). */
  readonly updateRel?: Partial<Record<Framework, number>>;
}

async function runCase(c: Case): Promise<Row> {
  const ready: Partial<Record<Framework, Runner>> = {};
  const results = {} as Record<Framework, Result>;
  const warm: Partial<Record<Framework, number[][]>> = {};
  const snapshot: Partial<Record<Framework, Float32Array[]>> = {};
  const first: Partial<Record<Framework, number>> = {};
  const repeats = c.repeats ?? REPEATS;
  for (const f of FRAMEWORKS) {
    const make = c.runners[f];
    if (!make) {
      results[f] = { error: f === "jax-js" ? `not run: ${jaxWhy}` : f === "tfjs" ? `not run: ${tfWhy}` : "not run" };
      continue;
    }
    try {
      const t0 = performance.now();
      const runner = await make();
      for (let i = 0; i < (c.warmup ?? WARMUP); i++) {
        (warm[f] ??= []).push(Array.from(await runner.call()));
        if (i === 0) first[f] = performance.now() - t0;
      }
      if (runner.params) snapshot[f] = await runner.params();
      ready[f] = runner;
    } catch (error) {
      results[f] = { error: error instanceof Error ? error.message.split("\n")[0]! : String(error) };
    }
  }
  const samples: Record<string, number[]> = {};
  for (let r = 0; r < repeats; r++) {
    for (const f of FRAMEWORKS) {
      const runner = ready[f];
      if (!runner) continue;
      const t0 = performance.now();
      try {
        await runner.call();
      } catch (error) {
        results[f] = { error: error instanceof Error ? error.message.split("\n")[0]! : String(error) };
        delete ready[f];
        continue;
      }
      (samples[f] ??= []).push(performance.now() - t0);
    }
  }
  const peersReady = FRAMEWORKS.some((f) => f !== "wgtensor" && ready[f]);
  const reference = ready.wgtensor && peersReady ? await ready.wgtensor.call() : undefined;
  for (const f of FRAMEWORKS) {
    const runner = ready[f];
    if (!runner) continue;
    try {
      const out = f === "wgtensor" || !reference ? undefined : await runner.call();
      const ms = samples[f] ? median(samples[f]!) : undefined;
      results[f] = {
        ...(ms !== undefined ? { ms, best: Math.min(...samples[f]!) } : { error: "no timed rounds (repeats 0)" }),
        warm: warm[f] ?? [],
        ...(first[f] !== undefined ? { firstMs: first[f] } : {}),
        ...(out && reference ? { diff: maxDiff(reference, out) } : {}),
      };
    } catch (error) {
      results[f] = { error: error instanceof Error ? error.message.split("\n")[0]! : String(error) };
    }
    try {
      runner.dispose?.();
    } catch {
      // a peer's dispose failing must not end the bench
    }
  }
  let lossRel: Row["lossRel"];
  let updateRel: Row["updateRel"];
  if (c.trainingStep && ready.wgtensor && warm.wgtensor) {
    lossRel = {};
    updateRel = {};
    for (const f of FRAMEWORKS) {
      const [ours, theirs] = [warm.wgtensor, warm[f]];
      if (f === "wgtensor" || !ready[f] || !theirs || theirs.length !== ours.length) continue;
      lossRel[f] = Math.max(...theirs.map((o, i) => Math.abs(o[0]! - ours[i]![0]!) / Math.abs(ours[i]![0]!)));
      if (Number.isNaN(lossRel[f])) lossRel[f] = Infinity;
      if (snapshot.wgtensor && snapshot[f]) updateRel[f] = updateDifference(snapshot[f]!, snapshot.wgtensor);
    }
  }
  let kernel: Row["kernel"];
  if (c.program) {
    try {
      const { prog, args } = await c.program();
      if (prog.ctx.device.features.has("timestamp-query")) {
        await prog.profile(args, 1);
        const timings = await prog.profile(args, repeats);
        kernel = { ms: timings.reduce((s, t) => s + t.milliseconds, 0), names: timings.map((t) => `${t.name} ${t.milliseconds.toFixed(2)}ms`).join(", ") };
      }
    } catch (error) {
      kernel = { ms: NaN, names: `profile failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return { c, results, ...(kernel ? { kernel } : {}), ...(lossRel ? { lossRel } : {}), ...(updateRel ? { updateRel } : {}) };
}

const rate = (c: Case, ms: number) =>
  c.trainingStep
    ? ` (${(1000 / ms).toFixed(2)} steps/s${c.work.flops ? `, ${(c.work.flops / ms / 1e6).toFixed(2)} GFLOP/s` : ""})`
    : c.work.flops
      ? ` (${(c.work.flops / ms / 1e6).toFixed(2)} GFLOP/s)`
      : c.work.bytes
        ? ` (${(c.work.bytes / ms / 1e6).toFixed(2)} GB/s)`
        : "";

// ------------------------------------------------------------------ wgtensor

async function wgProgram(f: (...xs: never[]) => unknown, shapes: number[][], data: Float32Array[]) {
  const program = trace(f as never, shapes.map((s) => spec(s)) as never);
  const prog = await compileProgram(program, { context: ctx, dotTiling: tiling });
  const args = data.map((d, i) => fromFlat(d, "float32", shapes[i]!));
  return { prog, args };
}

function wgRunner(f: (...xs: never[]) => unknown, shapes: number[][], data: Float32Array[]): () => Promise<Runner> {
  return async () => {
    const { prog, args } = await wgProgram(f, shapes, data);
    return { call: async () => materialize((await prog.run(args))[0]!) };
  };
}

// ------------------------------------------------------------------ cases

function matmulCase(n: number): Case {
  const a = randomData(n * n, 1 + n);
  const b = randomData(n * n, 2 + n);
  const shapes = [
    [n, n],
    [n, n],
  ];
  const f = (x: never, y: never) => core.matmul(x, y);
  return {
    id: `mm${n}`,
    title: `matmul ${n}³ fp32`,
    work: { flops: 2 * n ** 3 },
    program: () => wgProgram(f, shapes, [a, b]),
    runners: {
      wgtensor: wgRunner(f, shapes, [a, b]),
      ...(jax && {
        "jax-js": async () => {
          const j = jax!;
          const mm = j.jit((x: InstanceType<Jax["Array"]>, y: InstanceType<Jax["Array"]>) => j.numpy.matmul(x, y));
          return { call: () => mm(j.numpy.array(a, { shape: [n, n] }), j.numpy.array(b, { shape: [n, n] })).data() };
        },
      }),
      ...(tf && {
        tfjs: async () => {
          const t = tf!;
          return {
            call: async () => {
              const x = t.tensor2d(a, [n, n]);
              const y = t.tensor2d(b, [n, n]);
              const z = t.matMul(x, y);
              const out = await z.data();
              t.dispose([x, y, z]);
              return out;
            },
          };
        },
      }),
    },
  };
}

function layerNormCase(): Case {
  const [rows, cols] = [1576, 768];
  const x = randomData(rows * cols, 11, 2);
  const g = randomData(cols, 12);
  const bt = randomData(cols, 13);
  const shapes = [[rows, cols], [cols], [cols]];
  const f = (xs: never, w: never, b: never) => nn.layerNorm(xs, { weight: w, bias: b }, 1e-5);
  return {
    id: "ln",
    title: `layerNorm [${rows}, ${cols}] (γ, β)`,
    work: { bytes: 2 * rows * cols * 4 },
    program: () => wgProgram(f, shapes, [x, g, bt]),
    runners: {
      wgtensor: wgRunner(f, shapes, [x, g, bt]),
      ...(jax && {
        "jax-js": async () => {
          const j = jax!;
          type A = InstanceType<Jax["Array"]>;
          const ln = j.jit((xs: A, w: A, b: A) => j.nn.standardize(xs, -1, { epsilon: 1e-5 }).mul(w).add(b));
          return {
            call: () => ln(j.numpy.array(x, { shape: [rows, cols] }), j.numpy.array(g, { shape: [cols] }), j.numpy.array(bt, { shape: [cols] })).data(),
          };
        },
      }),
      ...(tf && {
        tfjs: async () => {
          const t = tf!;
          return {
            call: async () => {
              const xs = t.tensor2d(x, [rows, cols]);
              const w = t.tensor1d(g);
              const b = t.tensor1d(bt);
              const y = t.tidy(() => {
                const { mean, variance } = t.moments(xs, -1, true);
                return t.add(t.mul(t.mul(t.sub(xs, mean), t.rsqrt(t.add(variance, 1e-5))), w), b);
              });
              const out = await y.data();
              t.dispose([xs, w, b, y]);
              return out;
            },
          };
        },
      }),
    },
  };
}

function attentionCase(): Case {
  const [h, l, d] = [24, 197, 64];
  const q = randomData(h * l * d, 21);
  const k = randomData(h * l * d, 22);
  const v = randomData(h * l * d, 23);
  const shape = [h, l, d];
  const scale = 1 / Math.sqrt(d);
  const f = (qs: never, ks: never, vs: never) => nn.scaledDotProductAttention(qs, ks, vs);
  return {
    id: "attn",
    title: `attention softmax(QKᵀ/√d)V ${h}×${l}×${d}`,
    work: { flops: 2 * 2 * h * l * l * d },
    program: () => wgProgram(f, [shape, shape, shape], [q, k, v]),
    runners: {
      wgtensor: wgRunner(f, [shape, shape, shape], [q, k, v]),
      ...(jax && {
        "jax-js": async () => {
          const j = jax!;
          type A = InstanceType<Jax["Array"]>;
          const np = j.numpy;
          const att = j.jit((qs: A, ks: A, vs: A) => np.matmul(j.nn.softmax(np.matmul(qs.mul(scale), np.swapaxes(ks, -1, -2)), -1), vs));
          return { call: () => att(np.array(q, { shape }), np.array(k, { shape }), np.array(v, { shape })).data() };
        },
      }),
      ...(tf && {
        tfjs: async () => {
          const t = tf!;
          return {
            call: async () => {
              const qs = t.tensor3d(q, [h, l, d]);
              const ks = t.tensor3d(k, [h, l, d]);
              const vs = t.tensor3d(v, [h, l, d]);
              const y = t.tidy(() => t.matMul(t.softmax(t.mul(t.matMul(qs, ks, false, true), scale)), vs));
              const out = await y.data();
              t.dispose([qs, ks, vs, y]);
              return out;
            },
          };
        },
      }),
    },
  };
}

/** Fixed per-call cost: one tiny elementwise op, upload + dispatch + readback. */
function overheadCase(): Case {
  const x = randomData(4, 41);
  const f = (xs: never) => core.mul(core.add(xs, 1), 2);
  return {
    id: "tiny",
    title: "overhead: (x+1)·2 on 4 floats",
    work: {},
    program: () => wgProgram(f, [[4]], [x]),
    runners: {
      wgtensor: wgRunner(f, [[4]], [x]),
      ...(jax && {
        "jax-js": async () => {
          const j = jax!;
          const g = j.jit((xs: InstanceType<Jax["Array"]>) => xs.add(1).mul(2));
          return { call: () => g(j.numpy.array(x, { shape: [4] })).data() };
        },
      }),
      ...(tf && {
        tfjs: async () => {
          const t = tf!;
          return {
            call: async () => {
              const xs = t.tensor1d(x);
              const y = t.tidy(() => t.mul(t.add(xs, 1), 2));
              const out = await y.data();
              t.dispose([xs, y]);
              return out;
            },
          };
        },
      }),
    },
  };
}

/** One SGD training step of an MLP (train-step.ts); a call = one step, loss read back. */
function trainCase(): Case {
  const asRunner = async (r: Promise<StepRunner>): Promise<Runner> => {
    const s = await r;
    return { call: async () => [await s.step()], params: s.params, ...(s.dispose ? { dispose: s.dispose } : {}) };
  };
  return {
    id: "train",
    title: `train step: MLP ${MLP.sizes.join("→")}, batch ${MLP.batch}, tanh, CE, SGD`,
    work: { flops: MLP_STEP_FLOPS },
    repeats: TRAIN_REPEATS,
    warmup: TRAIN_WARMUP,
    trainingStep: true,
    caveats: {
      wgtensor: "Trainer.trainStep also computes the global gradient norm and reads it back with the loss",
      "jax-js": "jit(valueAndGrad + update); the new params stay on the device for the next call",
      tfjs: "eager tf.train.sgd().minimize over tf.Variables (no graph compilation in TF.js); tfjs-core's gradient functions loaded by bench/tf-gradients.ts (its Node build registers none)",
    },
    program: () => wgtensorStepProgram(ctx, tiling),
    runners: {
      wgtensor: () => asRunner(wgtensorTrainer(ctx, tiling)),
      ...(jax && { "jax-js": () => asRunner(jaxTrainer(jax!)) }),
      ...(tf && { tfjs: () => asRunner(tfTrainer(tf!)) }),
    },
  };
}

// ------------------------------------------------------------------ model scale

/** A CLIP ViT block's weights: host data, wgtensor's [out, in] layout; peers get the transposes. */
interface VitWeights {
  readonly ln1w: Float32Array;
  readonly ln1b: Float32Array;
  readonly qkvW: Float32Array; // [3C, C]
  readonly qkvB: Float32Array;
  readonly outW: Float32Array; // [C, C]
  readonly outB: Float32Array;
  readonly ln2w: Float32Array;
  readonly ln2b: Float32Array;
  readonly fc1W: Float32Array; // [4C, C]
  readonly fc1B: Float32Array;
  readonly fc2W: Float32Array; // [C, 4C]
  readonly fc2B: Float32Array;
}

/** [rows, cols] → [cols, rows]. */
function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/**
 * A CLIP ViT-B/16 block (x + MHSA(LN₁ x), then h + fc₂(QuickGELU(fc₁(LN₂ h)))), packed QKV
 * projection, at B/16 size: 8 clips × 197 tokens × 768, 12 heads, MLP 3072. Weights are resident
 * on the device in every framework (wgtensor: constants of the compiled program; jax-js: arrays
 * passed to the jitted block by reference; TF.js: tensors made once); a call uploads x, runs the
 * block and reads [8, 197, 768] back.
 */
function vitBlockCase(): Case {
  const [b, l, c, heads] = [8, 197, 768, 12];
  const [d, hidden, rows] = [c / heads, 4 * c, b * l];
  const eps = 1e-5;
  let memo: VitWeights | undefined;
  const weights = (): VitWeights => {
    const around1 = (n: number, seed: number) => randomData(n, seed, 0.1).map((v) => 1 + v);
    return (memo ??= {
      ln1w: around1(c, 51),
      ln1b: randomData(c, 52, 0.1),
      qkvW: randomData(3 * c * c, 53, 1 / Math.sqrt(c)),
      qkvB: randomData(3 * c, 54, 0.02),
      outW: randomData(c * c, 55, 1 / Math.sqrt(c)),
      outB: randomData(c, 56, 0.02),
      ln2w: around1(c, 57),
      ln2b: randomData(c, 58, 0.1),
      fc1W: randomData(hidden * c, 59, 1 / Math.sqrt(c)),
      fc1B: randomData(hidden, 60, 0.02),
      fc2W: randomData(c * hidden, 61, 1 / Math.sqrt(hidden)),
      fc2B: randomData(c, 62, 0.02),
    });
  };
  let xMemo: Float32Array | undefined;
  const xData = () => (xMemo ??= randomData(rows * c, 63));
  const perToken = 2 * (3 * c * c + c * c + 2 * c * hidden);
  const flops = rows * perToken + 2 * 2 * b * heads * l * l * d;

  const wgFn = () => {
    const w = weights();
    const k = (data: Float32Array, shape: number[]) => core.fromHost(fromFlat(data, "float32", shape));
    const p = {
      ln1: { weight: k(w.ln1w, [c]), bias: k(w.ln1b, [c]) },
      attn: { inProjWeight: k(w.qkvW, [3 * c, c]), inProjBias: k(w.qkvB, [3 * c]), outProj: { weight: k(w.outW, [c, c]), bias: k(w.outB, [c]) } },
      ln2: { weight: k(w.ln2w, [c]), bias: k(w.ln2b, [c]) },
      fc1: { weight: k(w.fc1W, [hidden, c]), bias: k(w.fc1B, [hidden]) },
      fc2: { weight: k(w.fc2W, [c, hidden]), bias: k(w.fc2B, [c]) },
    };
    return (x: never) => {
      const h = core.add(x, nn.selfAttention(nn.layerNorm(x, p.ln1, eps), p.attn, { numHeads: heads }));
      return core.add(h, nn.linear(nn.quickGelu(nn.linear(nn.layerNorm(h, p.ln2, eps), p.fc1)), p.fc2));
    };
  };
  const shape = [b, l, c];
  return {
    id: "vit-block",
    title: `ViT-B/16 block [${b}, ${l}, ${c}], ${heads} heads, MLP ${hidden}`,
    work: { flops },
    repeats: MODEL_REPEATS,
    warmup: MODEL_WARMUP,
    caveats: {
      wgtensor: "nn.layerNorm / nn.selfAttention (packed QKV) / nn.linear / nn.quickGelu, weights compiled in as constants",
      "jax-js": "jit of the block; weights resident, passed as jax.tree.ref(params) each call; linear weights stored [in, out]",
      tfjs: "eager ops in tf.tidy; weights resident tensors; linear weights stored [in, out]",
    },
    program: async () => wgProgram(wgFn(), [shape], [xData()]),
    runners: {
      wgtensor: async () => {
        const { prog, args } = await wgProgram(wgFn(), [shape], [xData()]);
        return { call: async () => materialize((await prog.run(args))[0]!), dispose: () => prog.dispose() };
      },
      ...(jax && {
        "jax-js": async () => {
          const j = jax!;
          const np = j.numpy;
          type A = InstanceType<Jax["Array"]>;
          const w = weights();
          const arr = (data: Float32Array, s: number[]) => np.array(data, { shape: s });
          let params: Record<string, A> = {
            ln1w: arr(w.ln1w, [c]),
            ln1b: arr(w.ln1b, [c]),
            qkvW: arr(transposed(w.qkvW, 3 * c, c), [c, 3 * c]),
            qkvB: arr(w.qkvB, [3 * c]),
            outW: arr(transposed(w.outW, c, c), [c, c]),
            outB: arr(w.outB, [c]),
            ln2w: arr(w.ln2w, [c]),
            ln2b: arr(w.ln2b, [c]),
            fc1W: arr(transposed(w.fc1W, hidden, c), [c, hidden]),
            fc1B: arr(w.fc1B, [hidden]),
            fc2W: arr(transposed(w.fc2W, c, hidden), [hidden, c]),
            fc2B: arr(w.fc2B, [c]),
          };
          const ln = (x: A, g: A, bb: A) => j.nn.standardize(x, -1, { epsilon: eps }).mul(g).add(bb);
          // x: [rows, C] → [B·H, L, D]
          const heads3 = (t: A) => np.transpose(np.reshape(t, [b, l, heads, d]), [0, 2, 1, 3]).reshape([b * heads, l, d]);
          const block = j.jit((p: Record<string, A>, x: A) => {
            const qkv = np.matmul(ln(x.ref, p.ln1w!, p.ln1b!), p.qkvW!).add(p.qkvB!);
            const [q, k, v] = np.split(qkv, 3, -1) as [A, A, A];
            const att = np.matmul(j.nn.softmax(np.matmul(heads3(q).mul(1 / Math.sqrt(d)), np.swapaxes(heads3(k), -1, -2)), -1), heads3(v));
            const merged = np.transpose(att.reshape([b, heads, l, d]), [0, 2, 1, 3]).reshape([rows, c]);
            const h = x.add(np.matmul(merged, p.outW!).add(p.outB!));
            const u = np.matmul(ln(h.ref, p.ln2w!, p.ln2b!), p.fc1W!).add(p.fc1B!);
            const gelu = u.ref.mul(j.nn.sigmoid(u.mul(1.702)));
            return h.add(np.matmul(gelu, p.fc2W!).add(p.fc2B!));
          });
          return {
            call: () => block(j.tree.ref(params), np.array(xData(), { shape: [rows, c] })).data(),
            dispose: () => {
              j.tree.dispose(params);
              params = {};
              block.dispose();
            },
          };
        },
      }),
      ...(tf && {
        tfjs: async () => {
          const t = tf!;
          const w = weights();
          const p = {
            ln1w: t.tensor1d(w.ln1w),
            ln1b: t.tensor1d(w.ln1b),
            qkvW: t.tensor2d(transposed(w.qkvW, 3 * c, c), [c, 3 * c]),
            qkvB: t.tensor1d(w.qkvB),
            outW: t.tensor2d(transposed(w.outW, c, c), [c, c]),
            outB: t.tensor1d(w.outB),
            ln2w: t.tensor1d(w.ln2w),
            ln2b: t.tensor1d(w.ln2b),
            fc1W: t.tensor2d(transposed(w.fc1W, hidden, c), [c, hidden]),
            fc1B: t.tensor1d(w.fc1B),
            fc2W: t.tensor2d(transposed(w.fc2W, c, hidden), [hidden, c]),
            fc2B: t.tensor1d(w.fc2B),
          };
          type T = import("@tensorflow/tfjs-core").Tensor;
          const ln = (x: T, g: T, bb: T) => {
            const { mean, variance } = t.moments(x, -1, true);
            return t.add(t.mul(t.mul(t.sub(x, mean), t.rsqrt(t.add(variance, eps))), g), bb);
          };
          const heads3 = (x: T) => t.reshape(t.transpose(t.reshape(x, [b, l, heads, d]), [0, 2, 1, 3]), [b * heads, l, d]);
          return {
            call: async () => {
              const x = t.tensor2d(xData(), [rows, c]);
              const y = t.tidy(() => {
                const qkv = t.add(t.matMul(ln(x, p.ln1w, p.ln1b), p.qkvW), p.qkvB);
                const [q, k, v] = t.split(qkv, 3, -1) as [T, T, T];
                const att = t.matMul(t.softmax(t.mul(t.matMul(heads3(q), heads3(k), false, true), 1 / Math.sqrt(d))), heads3(v));
                const merged = t.reshape(t.transpose(t.reshape(att, [b, heads, l, d]), [0, 2, 1, 3]), [rows, c]);
                const h = t.add(x, t.add(t.matMul(merged, p.outW), p.outB));
                const u = t.add(t.matMul(ln(h, p.ln2w, p.ln2b), p.fc1W), p.fc1B);
                return t.add(h, t.add(t.matMul(t.mul(u, t.sigmoid(t.mul(u, 1.702))), p.fc2W), p.fc2B));
              });
              const out = await y.data();
              t.dispose([x, y]);
              return out;
            },
            dispose: () => t.dispose(Object.values(p)),
          };
        },
      }),
    },
  };
}

/**
 * UniFormerV2-B/16 (K400 preset) forward on one 8×224² clip, random weights, in wgtensor alone
 * (no peer has the model): `gpuJit` of the forward with the parameters closed over (realized
 * once, so they are the compiled program's resident constants); a call uploads the clip, runs
 * it and reads the logits back. The first call (compile + run) is reported under Notes and as
 * `firstMs` in the JSON.
 */
function uniformerCase(): Case {
  const config = preset("b16-k400");
  return {
    id: "uniformerv2-b16",
    title: `UniFormerV2-B/16 forward, ${config.frames}×${config.inputResolution}², wgtensor only`,
    work: {},
    repeats: MODEL_REPEATS,
    warmup: MODEL_WARMUP,
    wgtensorOnly: true,
    caveats: { wgtensor: "gpuJit(forward) with resident random weights (K400 preset); first call = compile + run" },
    runners: {
      wgtensor: async () => {
        const params = treeMap(initParams(config, Key.fromSeed(0)), (t) => core.fromHost(realize(t)));
        const video = uniform(Key.fromSeed(1), [1, config.frames, config.inputResolution, config.inputResolution, 3], -1, 1);
        const f = gpuJit((v: typeof video) => uniformerv2(params, v, config).logits);
        return {
          call: async () => materialize(realize(await f(video))),
          dispose: () => f.dispose(),
        };
      },
    },
  };
}

// ------------------------------------------------------------------ the copy kernel (for scale)

/** A plain vec4 copy kernel on wgtensor's device: GPU time from timestamp queries. */
async function copyKernel(floats: number, repeats: number): Promise<{ kernelMs: number; e2eMs: number; bytes: number }> {
  const { device } = ctx;
  const { code, vec4s, grid } = vec4CopyKernel(floats, 65535);
  const [gx, gy] = grid;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const src = device.createBuffer({ size: vec4s * 16, usage });
  const dst = device.createBuffer({ size: vec4s * 16, usage });
  device.queue.writeBuffer(src, 0, randomData(vec4s * 4, 31));
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: dst } },
      { binding: 1, resource: { buffer: src } },
    ],
  });
  const stamps = device.features.has("timestamp-query");
  const querySet = stamps ? device.createQuerySet({ type: "timestamp", count: 2 }) : undefined;
  const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const kernel: number[] = [];
  const e2e: number[] = [];
  for (let r = 0; r < repeats + WARMUP; r++) {
    const t0 = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass(querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy);
    pass.end();
    if (querySet) {
      encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16);
    }
    device.queue.submit([encoder.finish()]);
    if (querySet) {
      await read.mapAsync(GPUMapMode.READ);
      const times = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      if (r >= WARMUP) kernel.push(Number(times[1]! - times[0]!) / 1e6);
    } else {
      await device.queue.onSubmittedWorkDone();
    }
    if (r >= WARMUP) e2e.push(performance.now() - t0);
  }
  [src, dst, resolve, read].forEach((b) => b.destroy());
  querySet?.destroy();
  return { kernelMs: stamps ? median(kernel) : NaN, e2eMs: median(e2e), bytes: 2 * vec4s * 16 };
}

// ------------------------------------------------------------------ run

const cases = [overheadCase(), matmulCase(256), matmulCase(512), matmulCase(1024), layerNormCase(), attentionCase(), trainCase(), vitBlockCase(), uniformerCase()].filter(
  (c) => !ONLY || ONLY.includes(c.id),
);
const rows: Row[] = [];
for (const c of cases) {
  process.stdout.write(`running ${c.title} …\n`);
  rows.push(await runCase(c));
}

const cell = (c: Case, r: Result | undefined) => (r?.ms === undefined ? "n/a" : `${r.ms.toFixed(2)} ms${rate(c, r.ms)}`);

let copy: Awaited<ReturnType<typeof copyKernel>> | undefined;
if (!ONLY || ONLY.includes("copy")) copy = await copyKernel(1576 * 768, REPEATS);

const header = ["case", "wgtensor GPU kernels", "wgtensor e2e", "jax-js e2e", "tfjs e2e"];
const table = rows.map((row) => [
  row.c.title,
  row.kernel ? `${row.kernel.ms.toFixed(2)} ms${rate(row.c, row.kernel.ms)}` : "—",
  cell(row.c, row.results.wgtensor),
  cell(row.c, row.results["jax-js"]),
  cell(row.c, row.results.tfjs),
]);
if (copy) {
  const gbs = (ms: number) => `${ms.toFixed(2)} ms (${(copy!.bytes / ms / 1e6).toFixed(2)} GB/s)`;
  table.push([`copy kernel, vec4, ${(copy.bytes / 2 / 1e6).toFixed(1)} MB`, Number.isNaN(copy.kernelMs) ? "—" : gbs(copy.kernelMs), `${gbs(copy.e2eMs)} ¹`, "", ""]);
}
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (cells: readonly string[]) => `| ${cells.map((x, i) => x.padEnd(widths[i]!)).join(" | ")} |`;
console.log("");
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
table.forEach((r) => console.log(line(r)));
if (copy) console.log("¹ copy e2e: submit + wait for the dispatch alone (no upload or readback)");

console.log("\nRatios (wgtensor throughput / peer throughput = peer e2e time / wgtensor e2e time; > 1: wgtensor faster):");
/** The rows as bench/report.ts takes them (ratios, geometric means, the --json line). */
const timings: CaseTimings[] = rows.map((row) => {
  const invalid: Partial<Record<"jax-js" | "tfjs", string>> = {};
  for (const p of ["jax-js", "tfjs"] as const) {
    const rel = row.lossRel?.[p];
    const upd = row.updateRel?.[p];
    if (rel !== undefined && !(rel <= LOSS_RTOL)) invalid[p] = `losses differ by ${rel.toExponential(1)} rel.`;
    else if (upd !== undefined && !(upd <= UPDATE_RTOL)) invalid[p] = `parameter updates differ by ${upd.toExponential(1)} rel.`;
  }
  const per = <K extends keyof Result>(k: K) => Object.fromEntries(FRAMEWORKS.map((f) => [f, row.results[f][k]])) as Record<Framework, Result[K]>;
  return {
    id: row.c.id,
    title: row.c.title,
    ms: per("ms"),
    firstMs: per("firstMs"),
    ...(row.kernel ? { kernelMs: row.kernel.ms } : {}),
    maxDiff: { "jax-js": row.results["jax-js"].diff, tfjs: row.results.tfjs.diff },
    invalid,
    ...(row.c.wgtensorOnly ? { wgtensorOnly: true } : {}),
  };
});
const summary = benchJson(timings);
for (const [i, row] of rows.entries()) {
  const t = timings[i]!;
  const parts = (["jax-js", "tfjs"] as const).map((p) => {
    if (row.c.wgtensorOnly) return `wgtensor/${p} — (wgtensor only)`;
    if (t.invalid?.[p]) return `wgtensor/${p} INVALID (${t.invalid[p]})`;
    const r = ratioOf(t, p);
    return r === null ? `wgtensor/${p} n/a` : `wgtensor/${p} ${r.toFixed(2)}x`;
  });
  console.log(`  ${row.c.title.padEnd(widths[0]!)}  ${parts.join("   ")}`);
}
const gmean = (x: number | null) => (x === null ? "n/a" : `${x.toFixed(2)}x`);
console.log(`  ${"geometric mean".padEnd(widths[0]!)}  wgtensor/jax-js ${gmean(summary.geomean["jax-js"])}   wgtensor/tfjs ${gmean(summary.geomean.tfjs)}`);

console.log("\nNotes:");
for (const row of rows) {
  const notes: string[] = [];
  for (const f of FRAMEWORKS) {
    if (row.c.wgtensorOnly && f !== "wgtensor") continue;
    const r = row.results[f];
    if (r.error) notes.push(`${f} not measured: ${r.error}`);
    else if (r.ms !== undefined) notes.push(`${f} best ${r.best!.toFixed(2)} ms${r.firstMs !== undefined && (row.c.wgtensorOnly || row.c.repeats !== undefined) ? `, first call (compile + run) ${(r.firstMs / 1000).toFixed(1)} s` : ""}${r.diff !== undefined ? `, max |Δ| vs wgtensor ${r.diff.toExponential(1)}${row.c.trainingStep ? " (loss after the last step)" : ""}` : ""}`);
    if (row.c.caveats?.[f]) notes.push(`${f}: ${row.c.caveats[f]}`);
  }
  if (row.c.trainingStep) {
    const losses = FRAMEWORKS.filter((f) => row.results[f].warm).map((f) => `${f} ${row.results[f].warm!.map((o) => o[0]!.toPrecision(9)).join(", ")}`);
    notes.push(`losses of the ${row.c.warmup ?? WARMUP} warm-up steps: ${losses.join("; ")}`);
    if (row.lossRel) {
      notes.push(
        `max relative loss difference vs wgtensor: ${Object.entries(row.lossRel)
          .map(([f, v]) => `${f} ${v.toExponential(1)}${v <= LOSS_RTOL ? "" : ` > ${LOSS_RTOL}: comparison INVALID`}`)
          .join(", ")}`,
      );
    }
    if (row.updateRel && Object.keys(row.updateRel).length > 0) {
      notes.push(
        `parameter updates after the warm-up steps, max|Δp − Δp_wgtensor| / max|Δp_wgtensor|: ${Object.entries(row.updateRel)
          .map(([f, v]) => `${f} ${v.toExponential(1)}${v <= UPDATE_RTOL ? "" : ` > ${UPDATE_RTOL}: comparison INVALID`}`)
          .join(", ")}`,
      );
    }
  }
  if (row.kernel) notes.push(`wgtensor kernels: ${row.kernel.names}`);
  console.log(`  ${row.c.title}: ${notes.join("; ")}`);
}
if (copy) console.log(`  copy kernel: ${(copy.bytes / 1e6).toFixed(1)} MB moved (read + write) per call`);
if (JSON_OUT) console.log(benchJsonLine(timings));
process.exit(0);
