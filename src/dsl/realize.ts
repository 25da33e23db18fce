/**
 * @file Eager values: computing a lazy tensor on the CPU interpreter and reading it back.
 * Results are cached per node, so asking twice (or building on a computed tensor) does not
 * recompute the graph behind it.
 */
import { evaluate } from "./interpreter.js";
import { materialize, type CpuArray, type Storage } from "./host/array.js";
import { topoSort, type Node } from "./node.js";
import type { AnyTensor } from "./tensor.js";

const cache = new WeakMap<Node, CpuArray>();

export function realize(t: AnyTensor): CpuArray {
  const hit = cache.get(t.node);
  if (hit) return hit;
  const placeholder = topoSort([t.node]).find((n) => n.op === "input");
  if (placeholder) {
    throw new Error(`cannot compute a traced value: it depends on input "${(placeholder.params as { name: string }).name}"`);
  }
  const [value] = evaluate([t.node], { known: (n) => cache.get(n) });
  cache.set(t.node, value!);
  return value!;
}

/** A copy of the elements in row-major order (Float32Array, Int32Array, or Uint8Array for bool). */
export function data(t: AnyTensor): Storage {
  return materialize(realize(t)).slice();
}

export type Nested = number | Nested[];

export function toNested(t: AnyTensor): Nested {
  const flat = data(t);
  const shape = t.shape;
  const build = (d: number, offset: number): Nested => {
    if (d === shape.length) return flat[offset]!;
    const stride = shape.slice(d + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: shape[d]! }, (_, i) => build(d + 1, offset + i * stride));
  };
  return build(0, 0);
}

export function item(t: AnyTensor): number {
  if (t.size !== 1) throw new Error(`item: tensor has ${t.size} elements, not 1`);
  return data(t)[0]!;
}
