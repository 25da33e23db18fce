/**
 * @file Algebraic simplification and constant folding, as pattern rules. Every rule keeps the
 * value bit for bit (IEEE included): no `x · 0 → 0` (x may be ∞ or NaN), no reassociation.
 */
import { match, P } from "ts-pattern";
import type { Node } from "../../dsl/node.js";
import { opDef } from "../../dsl/ops/registry.js";
import { MOVEMENT } from "../../dsl/ops/params.js";
import { evaluate } from "../../dsl/interpreter.js";
import { materialize } from "../../dsl/host/array.js";
import { sameShape } from "../../dsl/core.js";
import type { GraphBuilder, Rule } from "./rewrite.js";

/** A fill of exactly `value` (Object.is: +0 and −0 differ, and only −0 is neutral for +). */
const fullOf = (n: Node | undefined, value?: number): boolean => n !== undefined && n.is("full") && (value === undefined || Object.is(n.params.value, value));
const identityPerm = (perm: readonly number[]) => perm.every((p, i) => p === i);

const rule = (name: string, apply: (node: Node, graph: GraphBuilder) => Node | undefined): Rule => ({ name, apply });

/** A movement op applied to a constant fill is a fill of the new shape. */
const foldMovedFull = rule("fold-moved-full", (node, g) => {
  const [x] = node.inputs;
  if (!(MOVEMENT as readonly string[]).includes(node.op) || !x?.is("full")) return undefined;
  if (node.is("pad") && !Object.is(node.params.value, x.params.value)) return undefined;
  if (node.is("concat") && !node.inputs.every((i) => fullOf(i, x.params.value))) return undefined;
  return g.node("full", { shape: node.shape, value: x.params.value, dtype: node.dtype }, []);
});

/** An elementwise op of fills is computed now, by the reference interpreter (so CPU semantics). */
const foldElementwiseOfFulls = rule("fold-elementwise-of-fulls", (node, g) => {
  if (opDef(node.op).role !== "elementwise" || node.inputs.length === 0 || !node.inputs.every((i) => fullOf(i))) return undefined;
  const scalars = node.inputs.map((i) => g.node("full", { shape: [], value: (i as Node<"full">).params.value, dtype: i.dtype }, []));
  const scalar = g.node(node.op, node.params as never, scalars);
  const [value] = evaluate([scalar]);
  return g.node("full", { shape: node.shape, value: materialize(value!)[0]!, dtype: node.dtype }, []);
});

const neutral = rule("neutral-element", (node) =>
  match(node)
    .with({ op: "add", inputs: [P.select(), P.when((b: Node) => fullOf(b, -0))] }, (x) => x)
    .with({ op: "add", inputs: [P.when((a: Node) => fullOf(a, -0)), P.select()] }, (x) => x)
    .with({ op: "sub", inputs: [P.select(), P.when((b: Node) => fullOf(b, 0))] }, (x) => x)
    .with({ op: "mul", inputs: [P.select(), P.when((b: Node) => fullOf(b, 1))] }, (x) => x)
    .with({ op: "mul", inputs: [P.when((a: Node) => fullOf(a, 1)), P.select()] }, (x) => x)
    .with({ op: "div", inputs: [P.select(), P.when((b: Node) => fullOf(b, 1))] }, (x) => x)
    .with({ op: "neg", inputs: [{ op: "neg", inputs: [P.select()] }] }, (x) => x as Node)
    .otherwise(() => undefined),
);

/** Movement ops that do nothing. */
const noOpMovement = rule("no-op-movement", (node) => {
  const [x] = node.inputs;
  if (!x) return undefined;
  return match(node)
    .with({ op: P.union("reshape", "expand") }, (n) => (sameShape(n.shape, x.shape) ? x : undefined))
    .with({ op: "permute" }, (n) => (identityPerm((n as Node<"permute">).params.perm) ? x : undefined))
    .with({ op: "slice" }, (n) => (sameShape(n.shape, x.shape) && (n as Node<"slice">).params.steps.every((s) => s === 1) ? x : undefined))
    .with({ op: "pad" }, (n) => ((n as Node<"pad">).params.pads.every(([lo, hi]) => lo === 0 && hi === 0) ? x : undefined))
    .with({ op: "flip" }, (n) => ((n as Node<"flip">).params.axes.every((a) => x.shape[a] === 1) ? x : undefined))
    .with({ op: "concat" }, (n) => (n.inputs.length === 1 ? x : undefined))
    .with({ op: "cast" }, (n) => (n.dtype === x.dtype ? x : undefined))
    .with({ op: P.union("reduceSum", "reduceMax") }, (n) => ((n as Node<"reduceSum">).params.axes.every((a) => x.shape[a] === 1) ? x : undefined))
    .otherwise(() => undefined);
});

/** Two movement ops of the same kind become one. */
const mergeMovement = rule("merge-movement", (node, g) => {
  const [x] = node.inputs;
  if (!x || x.op !== node.op) return undefined;
  const [inner] = x.inputs;
  return match(node)
    .with({ op: "reshape" }, (n) => g.node("reshape", { shape: n.shape }, [inner!]))
    .with({ op: "expand" }, (n) => g.node("expand", { shape: n.shape }, [inner!]))
    .with({ op: "permute" }, (n) => {
      const outer = (n as Node<"permute">).params.perm;
      const first = (x as Node<"permute">).params.perm;
      return g.node("permute", { perm: outer.map((p) => first[p]!) }, [inner!]);
    })
    .otherwise(() => undefined);
});

export const SIMPLIFY_RULES: readonly Rule[] = [foldMovedFull, foldElementwiseOfFulls, neutral, noOpMovement, mergeMovement];
