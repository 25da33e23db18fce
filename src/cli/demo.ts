/**
 * @file `wgtensor demo` (`npm start`): trains the typed spiral MLP on WebGPU (or the CPU
 * interpreter). One compiled step computes the loss, its gradient (a graph transform) and the
 * momentum SGD update; the loop feeds it the parameters and prints the falling loss.
 */
import * as wg from "../index.js";
import type { Tensor } from "../index.js";
import { initSpiralMlp, spiralData, spiralLogits, spiralLoss, CLASSES, type SpiralMlp } from "../models/demo/spiral.js";
import { topoSort } from "../dsl/node.js";
import type { Backend } from "../dsl/backend.js";
import { cpuBackend } from "../runtime/cpu/backend.js";

export interface DemoOptions {
  readonly steps: number;
  readonly seed: number;
  readonly log: (line: string) => void;
  /** Where the step compiles and runs: `webgpuBackend` (WGSL) or `cpuBackend` (the reference interpreter, the default). */
  readonly backend?: Backend;
}

export interface DemoResult {
  readonly firstLoss: number;
  readonly finalLoss: number;
  readonly accuracy: number;
  readonly seconds: number;
}

const zip = <T>(a: T, b: T, f: (x: wg.AnyTensor, y: wg.AnyTensor) => wg.AnyTensor): T => {
  const bl = wg.flatten(b).leaves;
  return wg.treeMap(a, (x, i) => f(x, bl[i]!));
};

export async function runDemo({ steps, seed, log, backend = cpuBackend }: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const { x, labels } = spiralData(100, seed);
  const n = labels.length;
  const points = wg.tensor(x, [n, 2]);
  const onehot = wg.cast(wg.equal(wg.tensor(labels, [n, 1], "int32"), wg.arange(CLASSES)), "float32");
  let params = initSpiralMlp(wg.Key.fromSeed(seed));
  let velocity = wg.treeMap(params, (p) => wg.core.zerosLike(p)) as SpiralMlp;

  const lr = 0.3;
  const momentum = 0.9;
  // Typed over the batch "B": jit binds it to the size of the points passed.
  const trainStep = (p: SpiralMlp, v: SpiralMlp, xs: Tensor<["B", 2]>, ys: Tensor<["B", typeof CLASSES]>) => {
    const [loss, g] = wg.valueAndGrad(spiralLoss)(p, xs, ys);
    const v2 = zip(v, g, (vi, gi) => wg.core.add(wg.core.mul(vi, momentum), gi));
    const p2 = zip(p, v2, (pi, vi) => wg.core.sub(pi, wg.core.mul(vi, lr)));
    return { loss, params: p2, velocity: v2 };
  };
  const compiledStep = wg.jit(trainStep, { backend });
  const step = (p: SpiralMlp, v: SpiralMlp) => compiledStep(p, v, points, onehot);
  const logitsOf = wg.jit(spiralLogits);

  const lossGraph = wg.trace((xs, ys) => spiralLoss(params, xs, ys), [wg.spec(["B", 2]), wg.spec(["B", CLASSES])], { B: n });
  const forwardNodes = topoSort(lossGraph.outputs).length;
  log(`model: MLP 2 → 32 → 32 → ${CLASSES} (tanh), ${n} spiral points in 3 classes, batch dim "B" = ${n}`);
  log(`graph: forward + loss has ${forwardNodes} nodes; one training step (loss, gradient, momentum update) is one jit program on ${backend.label}`);

  let firstLoss = NaN;
  let finalLoss = NaN;
  for (let i = 1; i <= steps; i++) {
    const out = await step(params, velocity);
    params = out.params;
    velocity = out.velocity;
    finalLoss = wg.item(out.loss);
    if (i === 1) firstLoss = finalLoss;
    if (i === 1 || i % Math.max(1, Math.floor(steps / 10)) === 0 || i === steps) {
      log(`step ${String(i).padStart(4)}  loss ${finalLoss.toFixed(4)}`);
    }
  }
  const accuracyOn = (xs: Float32Array, ys: Int32Array): number => {
    const logits = logitsOf(params, wg.tensor(xs, [ys.length, 2]));
    const rows = wg.toNested(logits) as number[][];
    return rows.filter((row, i) => row.indexOf(Math.max(...row)) === ys[i]).length / ys.length;
  };
  const heldOut = spiralData(100, seed + 1);
  const trainAccuracy = accuracyOn(x, labels);
  const accuracy = accuracyOn(heldOut.x, heldOut.labels);
  const seconds = (performance.now() - started) / 1000;
  const kernels = (await [...compiledStep.programs.values()][0])?.kernels;
  compiledStep.dispose();
  const where = `${backend.label}${kernels !== undefined ? ` (${kernels} kernels a step)` : ""}`;
  log(`loss ${firstLoss.toFixed(4)} → ${finalLoss.toFixed(4)} in ${steps} steps; accuracy ${(trainAccuracy * 100).toFixed(1)}% on the training points, ${(accuracy * 100).toFixed(1)}% on held-out points (chance 33.3%); ${seconds.toFixed(1)} s on ${where}`);
  return { firstLoss, finalLoss, accuracy, seconds };
}
