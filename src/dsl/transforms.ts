/**
 * @file Function transforms over pure functions of pytrees of tensors:
 *   trace       a function → a Program (graph with named input placeholders), named dims bound
 *   jit         trace once per input signature, then run the program: on the CPU interpreter,
 *               or with `{ backend }` compiled by a Backend (backend.ts) and run asynchronously
 *   vjp, grad, valueAndGrad   reverse-mode autodiff as graph transforms
 *   checkpoint  gradient checkpointing: the backward pass recomputes f instead of keeping its values
 * Every transform only builds graphs, so they compose: grad(grad(f)), jit(grad(f)), …
 */
import { backward } from "./autodiff.js";
import { markRegion } from "./remat.js";
import { evaluate } from "./interpreter.js";
import type { CpuArray, Precision } from "./host/array.js";
import { bind } from "./bind.js";
import { fromHost } from "./core.js";
import { bindSpecs, DimScope, resolveDims, scopeOf, withDims } from "./dims.js";
import type { DType } from "./dtype.js";
import { Node, nextNodeId } from "./node.js";
import { realize } from "./realize.js";
import { Tensor, type AnyTensor } from "./tensor.js";
import { flatten, type MapLeaves, type TreeDef } from "./tree.js";
import type { Shape } from "./types/shape.js";
import type { BindArgs, BindResult, Passable } from "./types/bind.js";
import type { Mutable } from "./api/checked.js";
import type { Backend, Executable } from "./backend.js";

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
    unflatten: (values) => def.rebuild(values.map(fromHost)) as R,
  };
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
  const scope = scopeOf("trace", bindings);
  const inputs: Node<"input">[] = [];
  const args = mapSpecs(specs, (s, path) => {
    const t = placeholder(`in${inputs.length}`, withDims(scope, () => resolveDims(`trace: input ${path}`, s.shape)), s.dtype);
    inputs.push(t.node as Node<"input">);
    return t;
  });
  return buildProgram(inputs, withDims(scope, () => f(...(args as FromSpecs<A>))));
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
 * what `jit` and `gpuJit` compile once per signature. `scope` holds the named dims.
 */
export function traceArgs<A extends readonly unknown[], R>(f: (...args: A) => R, leaves: readonly AnyTensor[], def: TreeDef, scope = new DimScope("jit")): Program<R> {
  const inputs = leaves.map((t, i) => placeholder(`arg${i}`, t.shape, t.dtype));
  return buildProgram(
    inputs.map((t) => t.node as Node<"input">),
    withDims(scope, () => f(...(def.rebuild(inputs) as A))),
  );
}

/**
 * Specs for some or all of a function's arguments, in their structure: a Spec where the
 * argument has a tensor, `undefined` for parts left undeclared.
 */
export type InputSpecs<A> = A extends Tensor<infer S, infer D>
  ? Spec<S, D> | undefined
  : A extends (...args: never) => unknown
    ? undefined
    : A extends readonly unknown[]
      ? { readonly [K in keyof A]: InputSpecs<A[K]> } | undefined
      : A extends object
        ? { readonly [K in keyof A]?: InputSpecs<A[K]> } | undefined
        : undefined;

export interface NamedDimOptions<A extends readonly unknown[]> {
  /**
   * The arguments' declared shapes (specs with names, e.g. `[wg.spec(["B", 3]), undefined]`):
   * each call binds the names to the sizes it passes, checks that every occurrence agrees,
   * and the function's ops (a reshape to `["B", "T", -1]`) see the bindings.
   */
  readonly inputs?: InputSpecs<A>;
}

export interface JitOptions<A extends readonly unknown[] = readonly unknown[]> extends NamedDimOptions<A> {
  readonly precision?: Precision;
}

/**
 * The named dims of one call: declared by `inputs` and bound to the passed tensors' sizes
 * (a disagreement is a ShapeMismatch naming the dim), or empty for ops to solve.
 */
export function callScope(op: string, inputs: unknown, args: readonly unknown[]): DimScope {
  const scope = new DimScope(op);
  if (inputs === undefined) return scope;
  const specs: { path: string; shape: Shape; dtype: DType }[] = [];
  const passed: AnyTensor[] = [];
  const walk = (spec: unknown, arg: unknown, path: string): void => {
    if (spec === undefined || spec === null) return;
    if (isSpec(spec)) {
      if (!(arg instanceof Tensor)) throw new TypeError(`${op}: input ${path} is declared a tensor, got ${arg === null ? "null" : typeof arg}`);
      specs.push({ path, shape: spec.shape, dtype: spec.dtype });
      passed.push(arg);
    } else if (Array.isArray(spec)) {
      spec.forEach((s, i) => walk(s, (arg as readonly unknown[] | undefined)?.[i], `${path}[${i}]`));
    } else if (typeof spec === "object") {
      for (const [k, s] of Object.entries(spec)) walk(s, (arg as Record<string, unknown> | undefined)?.[k], `${path}.${k}`);
    }
  };
  if (!Array.isArray(inputs)) throw new TypeError(`${op}: inputs must list a spec (or undefined) for each argument`);
  inputs.forEach((spec, i) => walk(spec, args[i], `argument ${i + 1}`));
  bindSpecs(scope, specs, passed);
  return scope;
}

/**
 * A compiled function's signature: it takes concrete tensors where `f` was typed over names,
 * binds each name to the size it meets (a literal conflict is a compile error at the argument),
 * and returns `f`'s result with the names substituted.
 */
export type Jitted<A extends readonly unknown[], R> = <const Args extends Passable<A>>(...args: BindArgs<"jit", A, Args>) => BindResult<A, Args, R>;

/** `jit(f, { backend })`: compile through a backend; calls resolve asynchronously. */
export interface BackendJitOptions<A extends readonly unknown[], E extends Executable = Executable> extends NamedDimOptions<A> {
  readonly backend: Backend<E>;
  /**
   * Programs kept, one an input signature (default 16): a new signature beyond it disposes the
   * least recently used program (after the runs that use it).
   */
  readonly maxPrograms?: number;
}

/**
 * A function compiled by a backend: like {@link Jitted} (each name binds to the size it meets; a
 * literal conflict is a compile error at the argument), resolving to `f`'s result with the names
 * substituted. `Op` names it in those errors.
 */
export type BackendJitted<Op extends string, A extends readonly unknown[], R, E extends Executable = Executable> = (<const Args extends Passable<A>>(
  ...args: BindArgs<Op, A, Args>
) => Promise<BindResult<A, Args, R>>) & {
  /** The compiled programs by input signature, least recently used first. */
  readonly programs: ReadonlyMap<string, Promise<E>>;
  /** Programs traced so far (a signature evicted and met again is traced again). */
  readonly traces: number;
  /** Dispose every program (each after the runs using it); a later call compiles again. */
  dispose(): void;
};

/**
 * Compile `f` once per input signature (shapes, dtypes, static leaves) and run the program.
 * Arguments are pytrees of concrete tensors; results come back as concrete tensors. Without a
 * backend it runs synchronously on the CPU interpreter; `jit(f, { backend })` compiles through
 * the backend and resolves to the results.
 */
export function jit<A extends readonly unknown[], R>(f: (...args: A) => R, options?: JitOptions<A> & { readonly backend?: undefined }): Jitted<A, R> & { readonly traces: number };
export function jit<A extends readonly unknown[], R, E extends Executable>(f: (...args: A) => R, options: BackendJitOptions<A, E>): BackendJitted<"jit", A, R, E>;
export function jit<A extends readonly unknown[], R, E extends Executable>(
  f: (...args: A) => R,
  options: (JitOptions<A> & { readonly backend?: undefined }) | BackendJitOptions<A, E> = {},
): unknown {
  // `unknown`: each overload states its own result; relating the two deep signatures here only costs the checker.
  return options.backend === undefined ? interpretedJit(f, options) : backendJit("jit", f, options);
}

function interpretedJit<A extends readonly unknown[], R>(f: (...args: A) => R, options: JitOptions<A>): Jitted<A, R> & { readonly traces: number } {
  const programs = new Map<string, Program<R>>();
  const call = (...args: A): R => {
    const { leaves, def } = flatten(args);
    // Checked on every call: the cache key holds the shapes, not whether they bind consistently.
    const scope = callScope("jit", options.inputs, args);
    let program = programs.get(def.key);
    if (!program) {
      program = traceArgs(f, leaves, def, scope);
      programs.set(def.key, program);
    }
    return program.unflatten(program.run(leaves.map(realize), options.precision));
  };
  const jitted = asCompiled<Jitted<A, R> & { readonly traces: number }>(call);
  Object.defineProperty(jitted, "traces", { get: () => programs.size });
  return jitted;
}

interface Entry<R, E extends Executable> {
  readonly compiled: Promise<{ readonly executable: E; readonly rebuild: (values: readonly CpuArray[]) => R }>;
  /** Calls using the program now; it is disposed once released and none is left. */
  running: number;
  released: boolean;
}

/**
 * `jit` through a backend (and `gpuJit`, whose `op` names it in errors): one executable an input
 * signature, at most `maxPrograms` of them; `dispose()` releases them all. An executable disposed
 * by the caller is compiled again on the next call.
 */
export function backendJit<Op extends string, A extends readonly unknown[], R, E extends Executable>(
  op: Op,
  f: (...args: A) => R,
  options: BackendJitOptions<A, E>,
): BackendJitted<Op, A, R, E> {
  const { backend, maxPrograms = 16, inputs } = options;
  if (!(maxPrograms >= 1)) throw new Error(`${op}: maxPrograms must be at least 1, got ${maxPrograms}`);
  const programs = new Map<string, Entry<R, E>>();
  let traces = 0;
  const disposeIfIdle = (entry: Entry<R, E>) => {
    if (entry.released && entry.running === 0) entry.compiled.then(({ executable }) => executable.dispose(), () => {});
  };
  const release = (key: string, entry: Entry<R, E>) => {
    if (programs.get(key) === entry) programs.delete(key);
    entry.released = true;
    disposeIfIdle(entry);
  };
  const call = async (...args: A): Promise<R> => {
    const { leaves, def } = flatten(args);
    const scope = callScope(op, inputs, args);
    for (;;) {
      let entry = programs.get(def.key);
      if (entry) {
        programs.delete(def.key); // most recently used: to the end
      } else {
        const compiled = (async () => {
          const traced = traceArgs(f, leaves, def, scope);
          traces++;
          return { executable: await backend.compile(traced), rebuild: (values: readonly CpuArray[]) => traced.unflatten(values) };
        })();
        const created: Entry<R, E> = (entry = { compiled, running: 0, released: false });
        compiled.catch(() => {
          if (programs.get(def.key) === created) programs.delete(def.key);
        });
      }
      programs.set(def.key, entry);
      for (const [key, oldest] of programs) {
        if (programs.size <= maxPrograms) break;
        release(key, oldest);
      }
      entry.running++;
      try {
        const { executable, rebuild } = await entry.compiled;
        if (executable.disposed) {
          release(def.key, entry); // disposed by the caller: compile again
          continue;
        }
        return rebuild(await executable.run(leaves.map(realize)));
      } finally {
        entry.running--;
        disposeIfIdle(entry);
      }
    }
  };
  const view = new Map<string, Promise<E>>();
  Object.defineProperty(call, "programs", {
    get: () => {
      view.clear();
      for (const [k, v] of programs) view.set(k, v.compiled.then((e) => e.executable));
      return view;
    },
  });
  Object.defineProperty(call, "traces", { get: () => traces });
  Object.defineProperty(call, "dispose", { value: () => [...programs].forEach(([key, entry]) => release(key, entry)) });
  return asCompiled<BackendJitted<Op, A, R, E>>(call);
}

/**
 * A call wrapper under its compiled signature (`Jitted`, `GpuJitted`, `Grad`). The one cast of
 * named-dim binding: the wrapper takes `f`'s declared arguments, and a concrete call binds them
 * at run time (`callScope` and each op check it), which the generic signature describes but
 * the checker cannot prove.
 */
export function asCompiled<J>(call: (...args: never) => unknown): J {
  return call as unknown as J;
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

/**
 * A differentiated function's signature: like {@link Jitted}, it takes concrete tensors where
 * `f` was typed over names and returns `R` (the gradient has the parameters' structure) with
 * the names substituted.
 */
export type Differentiated<Op extends string, P, A extends readonly unknown[], R> = <const Args extends Passable<[P, ...A]>>(
  ...args: BindArgs<Op, [P, ...A], Args>
) => BindResult<[P, ...A], Args, R>;

/** Run `f(params, ...rest)` with fresh parameter leaves and the call's named dims; the loss is checked to be a scalar. */
function differentiate<P, A extends readonly unknown[], Out>(
  op: string,
  f: (params: P, ...rest: A) => Out,
  loss: (out: Out) => unknown,
  inputs: unknown,
  params: P,
  rest: A,
): { out: Out; grads: P } {
  const scope = callScope(op, inputs, [params, ...rest]);
  const { leaves, tree } = freshLeaves(params);
  const out = withDims(scope, () => f(tree, ...rest));
  const scalar = checkScalar(loss(out), op);
  return { out, grads: flatten(params).def.rebuild(backward(scalar, leaves)) as P };
}

/** value and gradient with respect to the first argument (a pytree of tensors). */
export function valueAndGrad<P, A extends readonly unknown[], L extends AnyTensor>(
  f: (params: P, ...rest: A) => L,
  options: NamedDimOptions<[P, ...A]> = {},
): Differentiated<"valueAndGrad", P, A, [L, P]> {
  return asCompiled((params: P, ...rest: A) => {
    const { out, grads } = differentiate("valueAndGrad", f, (l) => l, options.inputs, params, rest);
    return [out, grads];
  });
}

/** Like valueAndGrad, for functions that return [loss, auxiliary outputs]. */
export function valueAndGradWithAux<P, A extends readonly unknown[], L extends AnyTensor, X>(
  f: (params: P, ...rest: A) => readonly [L, X],
  options: NamedDimOptions<[P, ...A]> = {},
): Differentiated<"valueAndGradWithAux", P, A, [[L, X], P]> {
  return asCompiled((params: P, ...rest: A) => {
    const { out, grads } = differentiate("valueAndGradWithAux", f, ([l]) => l, options.inputs, params, rest);
    return [[out[0], out[1]], grads];
  });
}

/** Gradient with respect to the first argument. */
export function grad<P, A extends readonly unknown[]>(
  f: (params: P, ...rest: A) => AnyTensor,
  options: NamedDimOptions<[P, ...A]> = {},
): Differentiated<"grad", P, A, P> {
  return asCompiled((params: P, ...rest: A) => differentiate("grad", f, (l) => l, options.inputs, params, rest).grads);
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
