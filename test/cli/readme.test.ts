/** The README's "A taste" example, as written there (so the front page cannot rot). */
import { expect, test } from "vitest";
import * as wg from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { hasGpu } from "../gpu/harness.js";

test("README example: typed matmul, valueAndGrad, jit and gpuJit agree", async () => {
  const x = wg.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const w = wg.normal(wg.Key.fromSeed(0), [3, 4]);
  const y = wg.matmul(x, w);
  expect(y.shape).toEqual([2, 4]);
  expect(() => wg.core.matmul(x, x)).toThrow(/matmul: inner dims 3 and 2 differ \(shapes \[2, 3\], \[2, 3\]\) at test\/cli\/readme\.test\.ts:\d+:\d+/);

  const loss = (p: { w: Tensor<[3, 4], "float32"> }, x: Tensor<[2, 3], "float32">) => wg.mean(wg.square(wg.matmul(x, p.w)));
  const step = (p: { w: Tensor<[3, 4], "float32"> }, x: Tensor<[2, 3], "float32">) => {
    const [value, g] = wg.valueAndGrad(loss)(p, x);
    return { value, w: wg.sub(p.w, wg.mul(g.w, 0.1)) };
  };
  const xb = x;
  const onCpu = wg.jit(step)({ w }, xb);
  expect(wg.item(onCpu.value)).toBeCloseTo(wg.item(loss({ w }, xb)), 5);
  if (hasGpu) {
    const onGpu = await wg.gpuJit(step)({ w }, xb);
    expect(wg.item(onGpu.value)).toBeCloseTo(wg.item(onCpu.value), 4);
    const a = wg.data(onGpu.w);
    wg.data(onCpu.w).forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
  }
});

test("README named dims: jit binds B, inputs declare names for the run time", () => {
  const w = wg.normal(wg.Key.fromSeed(0), [3, 4]);
  const project = (x: Tensor<["B", 3]>, weight: Tensor<[3, 4]>) => wg.matmul(x, weight);
  const y: Tensor<[5, 4]> = wg.jit(project)(wg.zeros([5, 3]), w);
  expect(y.shape).toEqual([5, 4]);
  const frames = (x: Tensor<["B", "T", 3]>) => wg.reshape(x, ["B", -1]);
  const flat = wg.jit(frames, { inputs: [wg.spec(["B", "T", 3])] })(wg.zeros([2, 4, 3]));
  expect(flat.shape).toEqual([2, 12]);
});
