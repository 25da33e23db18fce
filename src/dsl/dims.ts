/**
 * @file Named dims at run time: the sizes the names of a traced function stand for.
 *
 * A function typed over names (`"B"`, `"T"`) runs on concrete tensors; its ops that take a
 * shape (`reshape`, `zeros`, `broadcastTo`, …) may still say `"B"`. While `trace`, `jit`,
 * `gpuJit` or `grad` runs the function, a {@link DimScope} holds what each name stands for:
 *
 * - declared: `trace(f, specs, { B: 2 })`, or the specs given as `inputs` to jit/gpuJit/grad,
 *   which bind each name to the size it meets in the arguments (all occurrences must agree);
 * - solved: a reshape target with one unknown (a name not yet bound, or `-1`) takes the size
 *   that makes the element counts agree, which must be a whole number; the name keeps that
 *   size for the rest of the trace, so a later use that disagrees is an error naming it.
 */
import { ShapeMismatch } from "./errors.js";
import type { Dim, Shape } from "./types/shape.js";

interface Bound {
  readonly size: number;
  /** Where the size came from, for messages ("argument 1 dim 0", "reshape at …"). */
  readonly where: string;
}

export class DimScope {
  private readonly sizes = new Map<string, Bound>();

  constructor(readonly op: string) {}

  get(name: string): number | undefined {
    return this.sizes.get(name)?.size;
  }

  /** Bind `name` to `size`; a name already bound to another size is a ShapeMismatch. */
  bind(name: string, size: number, where: string, shapes: readonly (readonly number[])[] = []): void {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new ShapeMismatch(this.op, `named dim ${name} would be ${size} at ${where}: dims must be non-negative integers`, shapes);
    }
    const before = this.sizes.get(name);
    if (before && before.size !== size) {
      throw new ShapeMismatch(this.op, `named dim ${name} is ${before.size} at ${before.where} but ${size} at ${where}`, shapes);
    }
    if (!before) this.sizes.set(name, { size, where });
  }

  entries(): Record<string, number> {
    return Object.fromEntries([...this.sizes].map(([name, b]) => [name, b.size]));
  }
}

const scopes: DimScope[] = [];

/** Run `f` with `scope` as the current named dims (scopes nest: an inner jit has its own names). */
export function withDims<T>(scope: DimScope, f: () => T): T {
  scopes.push(scope);
  try {
    return f();
  } finally {
    scopes.pop();
  }
}

/** The scope of the function being traced, if any. */
export function currentDims(): DimScope | undefined {
  return scopes[scopes.length - 1];
}

/** A scope with `bindings` declared, e.g. trace's `{ B: 2 }`. */
export function scopeOf(op: string, bindings: Readonly<Record<string, number>>): DimScope {
  const scope = new DimScope(op);
  for (const [name, size] of Object.entries(bindings)) scope.bind(name, size, `the bindings given to ${op}`);
  return scope;
}

/**
 * Concrete sizes for a shape that may name dims: each name from `extra` (explicit bindings),
 * then the current scope. Without a scope or binding, a name is an error saying how to bind it.
 */
export function resolveDims(op: string, shape: Shape, extra: Readonly<Record<string, number>> = {}): number[] {
  return shape.map((d) => {
    if (typeof d === "number") return d;
    const size = extra[d] ?? currentDims()?.get(d);
    if (size === undefined) throw unbound(op, [d], shape);
    return size;
  });
}

/**
 * A reshape target's sizes for an input of `total` elements. Names resolve as in
 * {@link resolveDims}; one unknown (an unbound name or `-1`) is solved so the counts agree,
 * and must come out a whole number. A solved name is bound in the current scope.
 */
export function resolveReshape(op: string, shape: Shape, total: number, from: readonly number[], extra: Readonly<Record<string, number>> = {}): number[] {
  const scope = currentDims();
  const known = (d: Dim): number | undefined => (typeof d === "number" ? (d === -1 ? undefined : d) : (extra[d] ?? scope?.get(d)));
  const unknown = shape.filter((d) => known(d) === undefined);
  const names = unknown.filter((d): d is string => typeof d === "string");
  if (unknown.length > 1) {
    if (names.length === 0) throw new ShapeMismatch(op, `only one dim can be -1, got [${shape.join(", ")}]`, [from]);
    throw unbound(op, names, shape, [from]);
  }
  const product = shape.reduce<number>((n, d) => n * (known(d) ?? 1), 1);
  if (unknown.length === 0) return shape.map((d) => known(d)!);
  const solved = product === 0 ? NaN : total / product;
  const hole = unknown[0]!;
  const label = typeof hole === "string" ? `named dim ${hole}` : "-1";
  if (!Number.isSafeInteger(solved)) {
    throw new ShapeMismatch(op, `[${from.join(", ")}] has ${total} elements; [${shape.join(", ")}] would need ${label} = ${total} / ${product}, not a whole number`, [from]);
  }
  if (typeof hole === "string") scope?.bind(hole, solved, `a reshape of [${from.join(", ")}] to [${shape.join(", ")}]`, [from]);
  return shape.map((d) => known(d) ?? solved);
}

function unbound(op: string, names: readonly string[], shape: Shape, shapes: readonly (readonly number[])[] = []): ShapeMismatch {
  const list = names.join(", ");
  const example = names.map((n) => `${n}: 2`).join(", ");
  return new ShapeMismatch(
    op,
    `named dim${names.length > 1 ? "s" : ""} ${list} in [${shape.join(", ")}] ${names.length > 1 ? "are" : "is"} not bound: declare ${names.length > 1 ? "them" : "it"} in the specs given to trace/jit/gpuJit/grad (\`inputs\`), or pass bindings such as { ${example} }`,
    shapes,
  );
}

/**
 * Bind the names of a declared spec tree to the sizes met in `args` (flattened tensors in the
 * same order), checking declared literals, ranks and dtypes on the way.
 */
export function bindSpecs(
  scope: DimScope,
  specs: readonly { readonly path: string; readonly shape: Shape; readonly dtype: string }[],
  args: readonly { readonly shape: readonly number[]; readonly dtype: string }[],
): void {
  if (specs.length !== args.length) {
    throw new ShapeMismatch(scope.op, `the inputs declare ${specs.length} tensors, the call passes ${args.length}`, args.map((a) => a.shape));
  }
  specs.forEach((spec, i) => {
    const arg = args[i]!;
    const where = spec.path;
    if (arg.dtype !== spec.dtype) throw new ShapeMismatch(scope.op, `${where} is ${arg.dtype}, declared ${spec.dtype}`, [arg.shape]);
    if (arg.shape.length !== spec.shape.length) {
      throw new ShapeMismatch(scope.op, `${where} is [${arg.shape.join(", ")}], declared [${spec.shape.join(", ")}]`, [arg.shape]);
    }
    spec.shape.forEach((d, k) => {
      const size = arg.shape[k]!;
      if (typeof d === "string") scope.bind(d, size, `${where} dim ${k}`, [arg.shape]);
      else if (d !== size) throw new ShapeMismatch(scope.op, `${where} dim ${k} is ${size}, declared ${d}`, [arg.shape]);
    });
  });
}
