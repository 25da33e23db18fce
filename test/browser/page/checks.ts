/**
 * @file What the browser tests run inside the page, written as a user of the package would:
 * `import * as wg from "wgtensor"` (here the sources, bundled for the browser by esbuild), the
 * golden fixtures fetched over HTTP, weights from bytes. `window.wgtChecks` exposes each check
 * to the test driver (test/browser/browser.test.ts), which compares the results with Node's.
 */
import * as wg from "../../../src/index.js";

async function bytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

interface OfficialConfigFile {
  readonly constructor_args: Parameters<typeof wg.uniformerv2.fromOfficialArgs>[0];
}

/** The adapter as the page sees it. */
async function adapter(): Promise<wg.AdapterSummary> {
  return (await wg.gpu()).info;
}

/** Fixture `name` through UniFormerV2 on WebGPU from `weightFile`: the largest |logit − official|. */
async function fixture(base: string, name: string, weightFiles: readonly string[]): Promise<{ file: string; worst: number; logits: number[]; seconds: number }[]> {
  const dir = `${base}/${name}`;
  const configFile: OfficialConfigFile = JSON.parse(new TextDecoder().decode(await bytes(`${dir}/config.json`)));
  const config = wg.uniformerv2.fromOfficialArgs(configFile.constructor_args);
  const input = wg.io.readSafetensors(await bytes(`${dir}/input.safetensors`)).tensors.get("video");
  const expected = wg.io.readSafetensors(await bytes(`${dir}/output.safetensors`)).tensors.get("logits");
  if (!input || !expected) throw new Error(`${dir}: the fixture lacks "video" or "logits"`);
  // Official (N, 3, T, H, W) → ours (N, T, H, W, 3).
  const video = wg.permute(wg.tensor(wg.io.toFloat32(input), input.shape), [0, 2, 3, 4, 1]);
  const forward = wg.gpuJit((p: wg.uniformerv2.UniFormerV2Params, v: wg.AnyTensor) => wg.uniformerv2.uniformerv2(p, v, config).logits);
  const want = wg.io.toFloat32(expected);
  const results = [];
  for (const file of weightFiles) {
    const t0 = performance.now();
    const { params } = await wg.uniformerv2.loadWeights(config, await bytes(`${dir}/${file}`), { name: file });
    const got = wg.data(await forward(params, video));
    const seconds = (performance.now() - t0) / 1000;
    let worst = got.length === want.length ? 0 : Infinity;
    want.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - (got[i] ?? NaN)))));
    results.push({ file, worst, logits: Array.from(got), seconds });
  }
  return results;
}

/** `steps` steps of the synthetic-motion experiment (the main job) on WebGPU: the losses. */
async function train(seed: number, steps: number, batch: number, clips: number, optimizer: wg.OptimizerSpec): Promise<{ losses: number[]; seconds: number[] }> {
  const data = wg.motion.motionData(seed, clips, 4);
  const options = { data, steps, batch, seed, optimizer, backend: wg.webgpuBackend };
  const { trainer } = wg.motion.motionTrainer(options);
  const losses: number[] = [];
  const seconds: number[] = [];
  let t0 = performance.now();
  await wg.motion.trainMotion(
    {
      ...options,
      onStep: (report) => {
        losses.push(report.loss);
        seconds.push((performance.now() - t0) / 1000);
        t0 = performance.now();
      },
    },
    trainer,
  );
  trainer.dispose();
  return { losses, seconds };
}

/** The errors a careless user meets, as the page sees them. */
async function errors(base: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const attempt = async (key: string, body: () => unknown) => {
    try {
      await body();
      out[key] = "no error";
    } catch (error) {
      out[key] = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  };
  const x = wg.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  await attempt("shape", () => wg.core.matmul(x, x));
  const config = wg.uniformerv2.preset("b16-k400");
  await attempt("notCheckpoint", () => wg.uniformerv2.loadWeights(config, new TextEncoder().encode("<html>not weights</html>"), { name: "page.html" }));
  const c = wg.uniformerv2.fromOfficialArgs((JSON.parse(new TextDecoder().decode(await bytes(`${base}/C/config.json`))) as OfficialConfigFile).constructor_args);
  await attempt("mismatch", async () => wg.uniformerv2.loadWeights(c, await bytes(`${base}/A/weights.safetensors`), { name: "A/weights.safetensors" }));
  await attempt("filePath", () => wg.uniformerv2.loadWeights(config, "/no/such/weights.pth"));
  await attempt("wideSubgroups", async () => {
    const program = wg.trace((a: wg.AnyTensor, b: wg.AnyTensor) => wg.core.matmul(a, b), [wg.spec([16, 16]), wg.spec([16, 16])]);
    await wg.compileProgram(program, { dotTiling: { tm: 16, tn: 4, wx: 8, wy: 1, variant: "subgroup", lanes: 8 } });
  });
  return out;
}

/** A 256³ matmul with the adapter's default tiling against the CPU interpreter. */
async function matmul(size: number): Promise<{ worst: number; tiling: string }> {
  const a = wg.normal(wg.Key.fromSeed(1), [size, size]);
  const b = wg.normal(wg.Key.fromSeed(2), [size, size]);
  const f = (p: wg.AnyTensor, q: wg.AnyTensor) => wg.core.matmul(p, q);
  const got = wg.data(await wg.gpuJit(f)(a, b));
  const want = wg.data(wg.jit(f)(a, b));
  let worst = 0;
  want.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - got[i]!))));
  const ctx = await wg.gpu();
  return { worst, tiling: JSON.stringify(wg.dotTilingFor(ctx)) };
}

/**
 * layerNorm(x)·W with the layerNorm fused into the matmul (a prologue, which shares rows across
 * a subgroup: as wide as the adapter's, 4 lanes on SwiftShader) against the CPU interpreter.
 */
async function fusedPrologue(): Promise<{ worst: number; kernels: number }> {
  const x = wg.normal(wg.Key.fromSeed(3), [40, 64]);
  const w = wg.normal(wg.Key.fromSeed(4), [64, 48]);
  const f = (a: wg.AnyTensor, b: wg.AnyTensor) => wg.core.matmul(wg.nn.layerNorm(a), b);
  const program = wg.trace(f, [wg.spec([40, 64]), wg.spec([64, 48])]);
  const compiled = await wg.compileProgram(program, { noPrologue: false, noAttention: false });
  try {
    const [got] = await compiled.run([wg.realize(x), wg.realize(w)]);
    const want = wg.data(wg.jit(f)(x, w));
    let worst = 0;
    want.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - Number(got!.data[i])))));
    return { worst, kernels: compiled.graph.kernels.length };
  } finally {
    compiled.dispose();
  }
}

/**
 * The main job's work, timed: the UniFormerV2 of `npm start` (width 32, 8×32×32 clips) — a
 * forward pass over `batch` clips and a training step (AdamW) — each run `repeats` times after a
 * first (compiling) call. Shared with Node by bench/browser.ts, so both sides run this code.
 */
export async function timings(batch: number, repeats: number): Promise<{ forward: number[]; step: number[]; firstForward: number; firstStep: number }> {
  const config = wg.motion.MOTION_CONFIG;
  const data = wg.motion.motionData(0, batch, batch);
  const params = wg.uniformerv2.initParams(config, wg.Key.fromSeed(0));
  const clip = config.frames * config.inputResolution * config.inputResolution * 3;
  const videos = new Float32Array(batch * clip);
  data.test.forEach((c, i) => videos.set(c.video, i * clip));
  const video = wg.tensor(videos, [batch, config.frames, config.inputResolution, config.inputResolution, 3]);
  const forward = wg.gpuJit((p: wg.uniformerv2.UniFormerV2Params, v: wg.AnyTensor) => wg.uniformerv2.uniformerv2(p, v, config).logits);
  const time = async (body: () => Promise<unknown>) => {
    const t0 = performance.now();
    await body();
    return (performance.now() - t0) / 1000;
  };
  const firstForward = await time(async () => wg.data(await forward(params, video)));
  const forwardTimes: number[] = [];
  for (let r = 0; r < repeats; r++) forwardTimes.push(await time(async () => wg.data(await forward(params, video))));
  const options = { data, steps: repeats + 1, batch, seed: 0, backend: wg.webgpuBackend };
  const { trainer } = wg.motion.motionTrainer(options);
  const stepTimes: number[] = [];
  let t0 = performance.now();
  await wg.motion.trainMotion(
    {
      ...options,
      onStep: () => {
        stepTimes.push((performance.now() - t0) / 1000);
        t0 = performance.now();
      },
    },
    trainer,
  );
  trainer.dispose();
  return { forward: forwardTimes, step: stepTimes.slice(1), firstForward, firstStep: stepTimes[0]! };
}

/** Every matmul tiling that fits the adapter on a size³ matmul: GPU milliseconds (best of 3) and the error against the interpreter. */
export async function tilings(size: number): Promise<{ tiling: wg.DotTiling; ms: number; worst: number }[]> {
  const ctx = await wg.gpu();
  const a = wg.realize(wg.normal(wg.Key.fromSeed(1), [size, size]));
  const b = wg.realize(wg.normal(wg.Key.fromSeed(2), [size, size]));
  const f = (p: wg.AnyTensor, q: wg.AnyTensor) => wg.core.matmul(p, q);
  const want = wg.data(wg.jit(f)(wg.normal(wg.Key.fromSeed(1), [size, size]), wg.normal(wg.Key.fromSeed(2), [size, size])));
  const program = wg.trace(f, [wg.spec([size, size]), wg.spec([size, size])]);
  const results = [];
  for (const tiling of wg.dotCandidatesFor(ctx)) {
    const compiled = await wg.compileProgram(program, { dotTiling: tiling, context: ctx });
    try {
      const [got] = await compiled.run([a, b]);
      let worst = 0;
      want.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - Number(got!.data[i])))));
      let ms = Infinity;
      if (ctx.device.features.has("timestamp-query")) {
        for (let r = 0; r < 3; r++) ms = Math.min(ms, (await compiled.profile([a, b], 1)).reduce((s, k) => s + k.milliseconds, 0));
      }
      results.push({ tiling, ms, worst });
    } finally {
      compiled.dispose();
    }
  }
  return results;
}

/**
 * `wg.tuneDotClasses` in the page, into the platform's tuning cache (IndexedDB here; the test's
 * Chromium starts with an empty profile): where it went and what it chose. `cachedTuning`
 * reads it back (the test reloads the page in between).
 */
async function tuneInPage(): Promise<{ location: string; persistent: boolean; square?: string; gflops?: number }> {
  const ctx = await wg.gpu();
  const result = await wg.tuneDotClasses(ctx, { classes: ["square"], shrink: 8, repeats: 1, budgetSeconds: 60 });
  const square = result.classes.square;
  return { location: result.location, persistent: result.persistent, ...(square ? { square: JSON.stringify(square.tiling), gflops: square.gflops } : {}) };
}

async function cachedTuning(): Promise<{ square?: string }> {
  const cached = await wg.cachedDotTilings(await wg.gpu());
  return cached.square ? { square: JSON.stringify(cached.square) } : {};
}

const checks = { adapter, fixture, train, errors, matmul, fusedPrologue, timings, tilings, tuneInPage, cachedTuning };
export type Checks = typeof checks;
Object.assign(globalThis, { wgtChecks: checks });
