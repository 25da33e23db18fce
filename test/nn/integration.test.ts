/**
 * @file The composites inside the function transforms: a small transformer-ish block (linear,
 * layerNorm, self-attention, gelu, dropout, crossEntropy) under valueAndGrad and jit; a few
 * SGD steps lower the loss, gradients agree with jit-compiled ones, and traced programs with
 * named dims accept the composites.
 */
import { describe, expect, test } from "vitest";
import * as core from "../../src/dsl/core.js";
import { crossEntropy, dropout, gelu, initLinear, keyTensor, layerNorm, linear, ones, selfAttention, xavierUniform, zeros } from "../../src/dsl/nn/index.js";
import { item } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { jit, spec, trace, valueAndGrad } from "../../src/dsl/transforms.js";
import { treeLeaves, treeMap } from "../../src/dsl/tree.js";
import { Key } from "../../src/dsl/random/threefry.js";
import { intTensor, randomTensor, values } from "./helpers.js";

const C = 4;
const K = 3;

function initParams(key: Key) {
  const [k1, k2, k3] = key.split(3) as [Key, Key, Key];
  return {
    attn: {
      inProjWeight: xavierUniform(k1, [3 * C, C]) as AnyTensor,
      inProjBias: zeros([3 * C]) as AnyTensor,
      outProj: initLinear(k2, C, C) as { weight: AnyTensor; bias?: AnyTensor },
    },
    norm: { weight: ones([C]) as AnyTensor, bias: zeros([C]) as AnyTensor },
    head: initLinear(k3, C, K) as { weight: AnyTensor; bias?: AnyTensor },
  };
}
type Params = ReturnType<typeof initParams>;

function model(p: Params, x: AnyTensor, dropKey: AnyTensor, training: boolean): AnyTensor {
  const h = core.add(x, selfAttention(layerNorm(x, p.norm), p.attn, { numHeads: 2 }));
  const pooled = core.mean(dropout(gelu(h), 0.1, dropKey, training), 1); // [B, C]
  return linear(pooled, p.head);
}

describe("nn under the transforms", () => {
  const [x] = randomTensor([4, 3, C], 1, -2, 2);
  const labels = intTensor([0, 2, 1, 2], [4]);
  const dropKey = keyTensor(Key.fromSeed(5));
  const loss = (p: Params) => crossEntropy(model(p, x, dropKey, false), labels);

  test("valueAndGrad + SGD lowers the loss", () => {
    let p = initParams(Key.fromSeed(0));
    const step = valueAndGrad(loss);
    const first = item(step(p)[0]);
    for (let i = 0; i < 10; i++) {
      const [, g] = step(p);
      const grads = treeLeaves(g);
      p = treeMap(p, (leaf, j) => core.constant(Float32Array.from(values(core.sub(leaf, core.mul(grads[j]!, 0.5)))), leaf.shape, "float32"));
    }
    expect(item(loss(p))).toBeLessThan(first - 0.1);
  });

  test("jit agrees with eager, for the loss and its gradients; dropout keyed by an input", () => {
    const p = initParams(Key.fromSeed(1));
    const lossAndGrad = valueAndGrad(loss);
    const jitted = jit(lossAndGrad);
    const [l1, g1] = lossAndGrad(p);
    const [l2, g2] = jitted(p);
    expect(item(l2)).toBeCloseTo(item(l1), 5);
    treeLeaves(g1).forEach((g, i) => expect(values(treeLeaves(g2)[i]!)).toEqual(values(g).map((v) => expect.closeTo(v, 5))));
    const forward = jit((q: Params, k: AnyTensor) => model(q, x, k, true));
    expect(values(forward(p, dropKey))).toEqual(values(forward(p, dropKey)));
    expect(values(forward(p, dropKey))).not.toEqual(values(forward(p, keyTensor(Key.fromSeed(6)))));
  });

  test("traced with a named batch dim", () => {
    const p = initParams(Key.fromSeed(2));
    const program = trace((t) => model(p, t, dropKey, false), [spec(["B", 3, C])], { B: 2 });
    expect(program.outputs[0]!.shape).toEqual([2, K]);
  });
});
