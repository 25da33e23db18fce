/**
 * @file What changes when UniFormerV2 trains: BatchNorm uses batch statistics and yields its
 * updated running statistics (PyTorch's momentum rule), and dropout / drop-path draw masks from
 * the counter-based RNG. One int32 [2] key tensor (a program input, so one compiled step serves
 * every iteration) is spread over the dropout sites: site s uses the key (k₀, k₁ + s), a
 * different Threefry key each, so CPU and GPU draw the very same masks.
 */
import * as core from "../../dsl/core.js";
import * as nn from "../../dsl/nn/index.js";
import type { AnyTensor, Tensor } from "../../dsl/tensor.js";
import type { Shape } from "../../dsl/types/shape.js";
import { Key } from "../../dsl/random/threefry.js";

export interface TrainingOptions {
  /** int32 [2] (or a host Key, baked into the program as a constant). */
  readonly key: AnyTensor | Key;
  /** BatchNorm running-statistics momentum (default 0.1, as PyTorch). */
  readonly bnMomentum?: number;
  /**
   * Gradient checkpointing: the backward pass recomputes each local and global block from its
   * input instead of keeping the block's activations (less memory, one more forward).
   */
  readonly checkpointBlocks?: boolean;
}

export class TrainContext {
  private site = 0;
  private readonly key: AnyTensor;
  /** Updated BatchNorm buffers by official key (`….running_mean`, `….running_var`). */
  readonly bnState = new Map<string, AnyTensor>();

  constructor(readonly options: TrainingOptions) {
    const k = options.key;
    this.key = k instanceof Key ? core.constant(new Int32Array([k.k0 | 0, k.k1 | 0]), [2], "int32") : k;
  }

  /** A fresh key for the next dropout site. */
  nextKey(): AnyTensor {
    this.site += 1;
    return core.add(this.key, core.constant(new Int32Array([0, this.site]), [2], "int32"));
  }

  dropout<S extends Shape>(x: Tensor<S>, rate: number): Tensor<S> {
    return rate > 0 ? nn.dropout(x, rate, this.nextKey()) : x;
  }

  dropPath<S extends Shape>(x: Tensor<S>, rate: number): Tensor<S> {
    return rate > 0 ? nn.dropPath(x, rate, this.nextKey()) : x;
  }
}

/** torch.linspace(0, rate, n) as the official code spaces drop-path rates over blocks. */
export function linspace(rate: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? 0 : (rate * i) / (n - 1)));
}
