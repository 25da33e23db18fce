/**
 * @file A small typed model for the CPU demo: a 3-layer MLP classifying points of a
 * three-armed spiral. The batch is the named dim "B"; every other dim is a literal, so a
 * wrong layer width is a compile error.
 */
import * as wg from "../../index.js";
import type { Tensor } from "../../index.js";

export const CLASSES = 3;
export const HIDDEN = 32;

export interface SpiralMlp {
  readonly w1: Tensor<[2, typeof HIDDEN], "float32">;
  readonly b1: Tensor<[typeof HIDDEN], "float32">;
  readonly w2: Tensor<[typeof HIDDEN, typeof HIDDEN], "float32">;
  readonly b2: Tensor<[typeof HIDDEN], "float32">;
  readonly w3: Tensor<[typeof HIDDEN, typeof CLASSES], "float32">;
  readonly b3: Tensor<[typeof CLASSES], "float32">;
}

export function initSpiralMlp(key: wg.Key): SpiralMlp {
  const [k1, k2, k3] = key.split(3);
  // Scaled normal init: std = 1/√fan_in keeps activations O(1) through tanh.
  return {
    w1: wg.normal(k1!, [2, HIDDEN], 1 / Math.sqrt(2)),
    b1: wg.zeros([HIDDEN]),
    w2: wg.normal(k2!, [HIDDEN, HIDDEN], 1 / Math.sqrt(HIDDEN)),
    b2: wg.zeros([HIDDEN]),
    w3: wg.normal(k3!, [HIDDEN, CLASSES], 1 / Math.sqrt(HIDDEN)),
    b3: wg.zeros([CLASSES]),
  };
}

/** logits = W₃ᵀ tanh(W₂ᵀ tanh(W₁ᵀ x + b₁) + b₂) + b₃, row-wise. */
export function spiralLogits(p: SpiralMlp, x: Tensor<["B", 2], "float32">): Tensor<["B", typeof CLASSES], "float32"> {
  const h1 = wg.tanh(wg.add(wg.matmul(x, p.w1), p.b1));
  const h2 = wg.tanh(wg.add(wg.matmul(h1, p.w2), p.b2));
  return wg.add(wg.matmul(h2, p.w3), p.b3);
}

/** Mean softmax cross-entropy against one-hot labels. */
export function spiralLoss(p: SpiralMlp, x: Tensor<["B", 2], "float32">, onehot: Tensor<["B", typeof CLASSES], "float32">): Tensor<[], "float32"> {
  const logits = spiralLogits(p, x);
  const shifted = wg.sub(logits, wg.max(logits, 1, true));
  const logZ = wg.log(wg.sum(wg.exp(shifted), 1, true));
  const logProb = wg.sub(shifted, logZ);
  return wg.neg(wg.mean(wg.sum(wg.mul(logProb, onehot), 1)));
}

/** Points on three interleaved spiral arms, with a little noise; deterministic for a seed. */
export function spiralData(pointsPerClass: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const n = pointsPerClass * CLASSES;
  const x = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  const noise = wg.data(wg.normal(wg.Key.fromSeed(seed), [n, 2], 0.08));
  for (let c = 0; c < CLASSES; c++) {
    for (let i = 0; i < pointsPerClass; i++) {
      const k = c * pointsPerClass + i;
      const r = (i + 1) / pointsPerClass;
      const angle = (c * 2 * Math.PI) / CLASSES + r * 3.5;
      x[2 * k] = r * Math.cos(angle) + noise[2 * k]!;
      x[2 * k + 1] = r * Math.sin(angle) + noise[2 * k + 1]!;
      labels[k] = c;
    }
  }
  return { x, labels };
}
