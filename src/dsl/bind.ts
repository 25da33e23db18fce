/**
 * @file `bind`: apply a primitive to tensors. Runs the primitive's shape rule (the run-time
 * source of truth for shapes) and turns a violation into a ShapeMismatch naming the op, the
 * input shapes and the user's call site.
 */
import { DTypeMismatch, RuleViolation, ShapeMismatch } from "./errors.js";
import { Node } from "./node.js";
import { opDef } from "./ops/registry.js";
import type { OpName, OpParams } from "./ops/params.js";
import { Tensor, type AnyTensor } from "./tensor.js";

export function bind<K extends OpName>(
  op: K,
  inputs: readonly AnyTensor[],
  params: OpParams[K],
  label: string = op,
): AnyTensor {
  const def = opDef(op);
  const shapes = inputs.map((t) => t.shape);
  if (def.arity !== "variadic" && inputs.length !== def.arity) {
    throw new ShapeMismatch(label, `takes ${def.arity} inputs, got ${inputs.length}`, shapes);
  }
  let out;
  try {
    out = def.shape(
      inputs.map((t) => t.node),
      params,
    );
  } catch (error) {
    if (error instanceof RuleViolation) {
      if (error.message.startsWith("dtype")) throw new DTypeMismatch(label, error.message);
      throw new ShapeMismatch(label, error.message, shapes);
    }
    throw error;
  }
  // Every shape a rule returns is checked once here, so no op (zeros([-1]), a reshape to a
  // computed 1.5, a shape read from a file) can make a tensor with an impossible dim.
  const bad = (out.shape as readonly unknown[]).findIndex((d) => typeof d !== "number" || !Number.isSafeInteger(d) || d < 0);
  if (bad >= 0) {
    const d: unknown = out.shape[bad];
    throw new ShapeMismatch(label, `dim ${bad} is ${typeof d === "string" ? JSON.stringify(d) : String(d)}: dims must be non-negative integers`, shapes);
  }
  return new Tensor(
    new Node(
      op,
      params,
      inputs.map((t) => t.node),
      out.shape,
      out.dtype,
    ),
  );
}
