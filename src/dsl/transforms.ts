/**
 * @file Function transforms over pure functions of pytrees of tensors:
 *   trace       a function → a Program (graph with named input placeholders), named dims bound
 *   jit         trace once per input signature, then run the program (CPU interpreter for now)
 *   vjp, grad, valueAndGrad   reverse-mode autodiff as graph transforms
 *   checkpoint  gradient checkpointing: the backward pass recomputes f instead of keeping its values
 * Every transform only builds graphs, so they compose: grad(grad(f)), jit(grad(f)), …
 */
import { backward } from "../compiler/passes/autodiff.js";
import { markRegion } from "../compiler/passes/remat.js";
import { evaluate } from "../runtime/cpu/interpreter.js";
import type { CpuArray, Precision } from "../runtime/cpu/array.js";
import { bind } from "./bind.js";
import type { DType } from "./dtype.js";
import { Node, nextNodeId } from "./node.js";
import { realize } from "./realize.js";
import { Tensor, type AnyTensor } from "./tensor.js";
import { flatten, type MapLeaves, type TreeDef } from "./tree.js";
import type { Shape } from "./types/shape.js";
import type { Mutable } from "./api/checked.js";

// ---------------------------------------------------------------- specs and trace

/** An input's declared type: shape with fixed and named dims, and dtype. */
export interface Spec<S extends Shape = Shape, D extends DType = DType> {
  readonly shape: S;
  readonly dtype: D;
}

export function spec<const S extends Shape, D extends DType = "float32">(shape: S, dtype?: D): Spec<Mutable<S>, D> {
  return { shape: shape as Mutable<S>, dtype: (dtype ?? "float32") as D };
}

/** Specs in a tree → the tensors a traced function receives. */
export type FromSpecs<T> = T extends Spec<infer S, infer D>
  ? Tensor<S, D>
  : T extends readonly unknown[]
    ? { [K in keyof T]: FromSpecs<T[K]> }
    : T extends object
      ? { [K in keyof T]: FromSpecs<T[K]> }
      : T;

export type Bindings = Readonly<Record<string, number>>;

/** A traced function: a graph from named placeholders to outputs. */
export interface Program<R = unknown> {
  readonly inputs: readonly Node<"input">[];
  readonly outputs: readonly Node[];
  readonly outputDef: TreeDef;
  /** Run on the CPU interpreter; `args` in the order of `inputs`. */
  run(args: readonly CpuArray[], precision?: Precision): CpuArray[];
  /** The output tree with each value as a constant tensor. */
  unflatten(values: readonly CpuArray[]): R;
}

export function resolveShape(shape: Shape, bindings: Bindings, where: string): number[] {
  return shape.map((d) => {
    if (typeof d === "number") return d;
    const n = bindings[d];
    if (n === undefined) throw new Error(`${where}: named dim "${d}" is not bound (pass bindings such as { ${d}: 2 })`);
    return n;
  });
}

function isSpec(x: unknown): x is Spec {
  return typeof x === "object" && x !== null && "shape" in x && "dtype" in x && Array.isArray((x as Spec).shape);
}

function placeholder(name: string, shape: readonly number[], dtype: DType): AnyTensor {
  return new Tensor(new Node("input", { name, shape, dtype }, [], shape, dtype));
}

function buildProgram<R>(inputs: Node<"input">[], result: R): Program<R> {
  const { leaves, def } = flatten(result);
  const outputs = leaves.map((t) => t.node);
  return {
    inputs,
    outputs,
    outputDef: def,
    run(args, precision) {
      if (args.length !== inputs.length) throw new Error(`program: expected ${inputs.length} inputs, got ${args.length}`);
      const env = new Map(inputs.map((n, i) => [n.params.name, args[i]!] as const));
      return evaluate(outputs, { inputs: env, precision: precision ?? "f32" });
    },
    unflatten: (values) => def.rebuild(values.map(fromValue)) as R,
  };
}

function fromValue(v: CpuArray): AnyTensor {
  return bind("constant", [], { value: v });
}

/**
 * Trace `f` on placeholders described by `specs` (a pytree of Spec), binding named dims.
 * Shapes are checked op by op as the graph is built: errors name the op and the call site.
 */
export function trace<const A extends readonly unknown[], R>(
  f: (...args: FromSpecs<A>) => R,
  specs: A,
  bindings: Bindings = {},
): Program<R> {
  const inputs: Node<"input">[] = [];
  const args = mapSpecs(specs, (s, path) => {
    const t = placeholder(`in${inputs.length}`, resolveShape(s.shape, bindings, `trace: input ${path}`), s.dtype);
    inputs.push(t.node as Node<"input">);
    return t;
  });
  return buildProgram(inputs, f(...(args as FromSpecs<A>)));
}

function mapSpecs(tree: unknown, fn: (s: Spec, path: string) => AnyTensor, path = ""): unknown {
  if (isSpec(tree)) return fn(tree, path || "0");
  if (Array.isArray(tree)) return tree.map((t, i) => mapSpecs(t, fn, path ? `${path}[${i}]` : `${i}`));
  if (tree !== null && typeof tree === "object") {
    return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, mapSpecs(v, fn, path ? `${path}.${k}` : k)]));
  }
  return tree;
}

// ---------------------------------------------------------------- jit

/**
 * Trace `f` on placeholders shaped like the flattened arguments `leaves` (structure `def`):
 * what `jit` and `gpuJit` compile once per signature.
 */
export function traceArgs<A extends readonly unknown[], R>(f: (...args: A) => R, leaves: readonly AnyTensor[], def: TreeDef): Program<R> {
  const inputs = leaves.map((t, i) => placeholder(`arg${i}`, t.shape, t.dtype));
  return buildProgram(
    inputs.map((t) => t.node as Node<"input">),
    f(...(def.rebuild(inputs) as A)),
  );
}

export interface JitOptions {
  readonly precision?: Precision;
}

/**
 * Compile `f` once per input signature (shapes, dtypes, static leaves) and run the program.
 * Arguments are pytrees of concrete tensors; results come back as concrete tensors.
 */
export function jit<A extends readonly unknown[], R>(f: (...args: A) => R, options: JitOptions = {}): ((...args: A) => R) & { readonly traces: number } {
  const programs = new Map<string, Program<R>>();
  const call = (...args: A): R => {
    const { leaves, def } = flatten(args);
    let program = programs.get(def.key);
    if (!program) {
      program = traceArgs(f, leaves, def);
      programs.set(def.key, program);
    }
    return program.unflatten(program.run(leaves.map(realize), options.precision));
  };
  return Object.defineProperty(call, "traces", { get: () => programs.size }) as typeof call & { readonly traces: number };
}

// ---------------------------------------------------------------- autodiff

/** A fresh node for each leaf, so differentiation variables never alias closed-over values. */
function freshLeaves<T>(tree: T): { leaves: AnyTensor[]; tree: T } {
  const { leaves, def } = flatten(tree);
  const fresh = leaves.map((t) => bind("reshape", [t], { shape: t.shape }));
  return { leaves: fresh, tree: def.rebuild(fresh) as T };
}

/** Evaluate f at `primal` and return its output with the pullback of cotangents. */
export function vjp<T, R extends AnyTensor>(f: (x: T) => R, primal: T): [R, (cotangent: R) => T] {
  const { leaves, tree } = freshLeaves(primal);
  const out = f(tree);
  const { def } = flatten(primal);
  return [out, (ct) => def.rebuild(backward(out, leaves, ct)) as T];
}

export type Scalar = Tensor<readonly [], "float32"> | Tensor<[], "float32"> | AnyTensor;

function checkScalar(out: unknown, who: string): AnyTensor {
  if (!(out instanceof Tensor) || out.shape.length !== 0 || out.dtype !== "float32") {
    const got = out instanceof Tensor ? `${out.dtype} [${out.shape.join(", ")}]` : typeof out;
    throw new Error(`${who}: the function must return a float32 scalar (shape []), got ${got}`);
  }
  return out;
}

/** value and gradient with respect to the first argument (a pytree of tensors). */
export function valueAndGrad<P, A extends readonly unknown[], L extends AnyTensor>(
  f: (params: P, ...rest: A) => L,
): (params: P, ...rest: A) => [L, MapLeaves<P, AnyTensor> & P] {
  return (params, ...rest) => {
    const { leaves, tree } = freshLeaves(params);
    const loss = checkScalar(f(tree, ...rest), "valueAndGrad") as L;
    return [loss, flatten(params).def.rebuild(backward(loss, leaves)) as MapLeaves<P, AnyTensor> & P];
  };
}

/** Like valueAndGrad, for functions that return [loss, auxiliary outputs]. */
export function valueAndGradWithAux<P, A extends readonly unknown[], L extends AnyTensor, X>(
  f: (params: P, ...rest: A) => readonly [L, X],
): (params: P, ...rest: A) => [[L, X], P] {
  return (params, ...rest) => {
    const { leaves, tree } = freshLeaves(params);
    const [loss, aux] = f(tree, ...rest);
    checkScalar(loss, "valueAndGradWithAux");
    return [[loss, aux], flatten(params).def.rebuild(backward(loss, leaves)) as P];
  };
}

/** Gradient with respect to the first argument. */
export function grad<P, A extends readonly unknown[]>(f: (params: P, ...rest: A) => AnyTensor): (params: P, ...rest: A) => P {
  const vg = valueAndGrad(f);
  return (params, ...rest) => vg(params, ...rest)[1];
}

/**
 * Gradient checkpointing (JAX's `jax.checkpoint`, remat): `checkpoint(f)(...args)` is
 * `f(...args)`, but a backward pass through it keeps none of f's intermediate values alive:
 * when the cotangent reaches f's outputs, f's forward is recomputed from `args` and
 * differentiated. Peak memory drops from all of f's activations to its inputs, for one more
 * forward pass. f runs once, at trace time (the recomputation copies the graph it built), so
 * side effects and random keys inside f are not repeated; values f closes over are shared.
 */
export function checkpoint<A extends readonly unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    const firstId = nextNodeId();
    const result = f(...args);
    markRegion(
      flatten(args).leaves.map((t) => t.node),
      flatten(result).leaves.map((t) => t.node),
      firstId,
    );
    return result;
  };
}
