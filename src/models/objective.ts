/**
 * @file What a model hands to training: its objective over named parameters and a batch. It
 * lives with the models (which implement it) rather than in `train/` (which runs it), so models
 * never import the trainer.
 */
import type { CpuArray } from "../dsl/host/array.js";
import type { AnyTensor } from "../dsl/tensor.js";

/** Tensors by name (a parameter's dotted path). */
export type Named<T = AnyTensor> = Readonly<Record<string, T>>;

/** What a model contributes to a step: the loss, outputs to report, updated buffers. */
export type Objective = ((
  params: Named,
  batch: Named,
  key: AnyTensor,
) => { readonly loss: AnyTensor; readonly outputs?: Named; readonly buffers?: Named }) & {
  /**
   * Checks a batch's host data before a step (labels in range, …): inside the compiled step
   * they are program inputs, which no shape rule can look into. Throws what is wrong.
   */
  readonly checkBatch?: (batch: Named<CpuArray>) => void;
};
