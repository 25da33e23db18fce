/**
 * The oracle and the GPU agree on the inputs WGSL leaves open: tensors with no elements whose 0
 * is not the leading dim, reductions over empty axes (the mean of nothing is NaN; an int32 max
 * of nothing is INT_MIN), and int32 matmuls that overflow (they wrap on both).
 */
import { expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { data } from "../../src/dsl/realize.js";
import { jit } from "../../src/dsl/transforms.js";
import { describeGpu, expectCpuGpuClose, tensorFrom } from "./harness.js";

const EXACT = { atol: 0, rtol: 0 };

describeGpu("edges the WGSL spec leaves open", () => {
  it("elementwise ops and sums over tensors with a zero that is not the leading dim compile and agree", async () => {
    const x = tensorFrom([], [2, 0], "float32");
    await expectCpuGpuClose((t: AnyTensor) => [core.neg(t), core.sum(t, 1), core.sum(t, 0), core.max(core.reshape(t, [2, 0, 1]), [2])], [x], EXACT, "zero-size");
    const y = tensorFrom([], [3, 0, 2], "float32");
    await expectCpuGpuClose((t: AnyTensor) => [core.exp(t), core.sum(t, [1])], [y], EXACT, "zero-size middle");
  });

  it("the mean of nothing is NaN on both; an int32 max of nothing is INT_MIN on both", async () => {
    const x = tensorFrom([], [2, 0], "float32");
    const n = tensorFrom([], [2, 0], "int32");
    const f = (t: AnyTensor, u: AnyTensor) => [core.mean(t, 1), core.max(u, 1)];
    await expectCpuGpuClose(f, [x, n], EXACT, "empty reductions");
    const [mean, max] = jit(f)(x, n);
    expect(Array.from(data(mean!))).toEqual([NaN, NaN]);
    expect(Array.from(data(max!))).toEqual([-2147483648, -2147483648]);
  });

  it("int32 matmuls wrap around on the CPU as on the GPU", async () => {
    const a = tensorFrom([65536, 65536, 3, 4], [2, 2], "int32");
    const b = tensorFrom([65536, 1, 65536, 2], [2, 2], "int32");
    const f = (p: AnyTensor, q: AnyTensor) => core.matmul(p, q);
    await expectCpuGpuClose(f, [a, b], EXACT, "int32 wrap");
    // 65536·65536 + 65536·65536 = 2³³ wraps to 0
    expect(Array.from(data(jit(f)(a, b)))).toEqual([0, 196608, 458752, 11]);
  });
});
