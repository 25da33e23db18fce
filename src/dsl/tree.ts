/**
 * @file Pytrees: nested arrays and plain records whose leaves are tensors. Parameters, optimizer
 * states and model outputs are pytrees; transforms flatten them to lists of tensors and back.
 * Non-tensor leaves (numbers, strings, booleans, null) are static: part of the structure.
 */
import { Tensor, type AnyTensor } from "./tensor.js";

export type Tree = AnyTensor | readonly Tree[] | { readonly [key: string]: Tree } | number | string | boolean | null | undefined;

/** The same structure with every tensor replaced by `L`. */
export type MapLeaves<T, L> = T extends AnyTensor
  ? L
  : T extends readonly unknown[]
    ? { [K in keyof T]: MapLeaves<T[K], L> }
    : T extends object
      ? { [K in keyof T]: MapLeaves<T[K], L> }
      : T;

export interface TreeDef {
  readonly rebuild: (leaves: readonly AnyTensor[]) => unknown;
  /** Identifies the structure and static leaves (a cache key for jit). */
  readonly key: string;
  readonly count: number;
}

export function flatten(tree: unknown): { leaves: AnyTensor[]; def: TreeDef } {
  const leaves: AnyTensor[] = [];
  const build = (node: unknown): { rebuild: (next: () => AnyTensor) => unknown; key: string } => {
    if (node instanceof Tensor) {
      leaves.push(node);
      return { rebuild: (next) => next(), key: `T[${node.shape.join(",")}]${node.dtype}` };
    }
    if (Array.isArray(node)) {
      const kids = node.map(build);
      return { rebuild: (next) => kids.map((k) => k.rebuild(next)), key: `[${kids.map((k) => k.key).join(",")}]` };
    }
    if (node !== null && typeof node === "object") {
      const proto = Object.getPrototypeOf(node);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`pytree: ${proto?.constructor?.name ?? "object"} is not a tensor, array or plain record`);
      }
      const entries = Object.entries(node).map(([k, v]) => [k, build(v)] as const);
      return {
        rebuild: (next) => Object.fromEntries(entries.map(([k, v]) => [k, v.rebuild(next)])),
        key: `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v.key}`).join(",")}}`,
      };
    }
    if (typeof node === "function") throw new TypeError("pytree: functions cannot be leaves");
    // Static leaves are part of the key: keep NaN, ±∞ and −0 apart from null and 0.
    const key = typeof node === "number" && (!Number.isFinite(node) || Object.is(node, -0)) ? `#num:${Object.is(node, -0) ? "-0" : String(node)}` : JSON.stringify(node);
    return { rebuild: () => node, key: key ?? "undefined" };
  };
  const root = build(tree);
  const count = leaves.length;
  return {
    leaves,
    def: {
      key: root.key,
      count,
      rebuild: (values) => {
        if (values.length !== count) throw new Error(`pytree: expected ${count} leaves, got ${values.length}`);
        let i = 0;
        return root.rebuild(() => values[i++]!);
      },
    },
  };
}

export function treeMap<T>(tree: T, fn: (leaf: AnyTensor, index: number) => AnyTensor): T {
  const { leaves, def } = flatten(tree);
  return def.rebuild(leaves.map(fn)) as T;
}

export function treeLeaves(tree: unknown): AnyTensor[] {
  return flatten(tree).leaves;
}
