/**
 * @file Expression generation for one kernel: the WGSL value of any node at any index.
 * Realized nodes are buffer loads; elementwise ops combine their inputs' expressions; movement
 * ops rewrite the index (views as index arithmetic); sources are literals or RNG calls. Every
 * value becomes a `let` in the innermost open scope, memoised per (node, index), so shared
 * subexpressions are computed once.
 */
import type { Node } from "../../dsl/node.js";
import { opDef } from "../../dsl/ops/registry.js";
import type { DType } from "../../dsl/dtype.js";
import type { IndexMap, MovementLowering, SourceLowering } from "../../dsl/lowering/lowering.js";
import { literal, wgslType } from "../../dsl/lowering/lowering.js";
import { linearIndex } from "../../dsl/lowering/indexing.js";

/** A value read where the template cannot compute it: the schedule (reads.ts) rules this out. */
export function notComputable(node: Node): Error {
  return new Error(`codegen: ${node.op}#${node.id} cannot be computed where it is read; the schedule should have given it a buffer`);
}

export interface Binding {
  readonly node: Node;
  readonly name: string;
  readonly access: "read" | "read_write";
}

/** Storage type of a dtype's buffer (bool is stored as u32: WGSL has no bool storage). */
export function storageType(dtype: DType): "f32" | "i32" | "u32" {
  return dtype === "float32" ? "f32" : dtype === "int32" ? "i32" : "u32";
}

interface Scope {
  readonly lines: string[];
  readonly memo: Map<string, string>;
  readonly indent: string;
}

export class KernelWriter {
  readonly bindings: Binding[] = [];
  readonly helpers = new Set<string>();
  readonly fused = new Set<Node>();
  private readonly scopes: Scope[] = [];
  private counter = 0;
  /** Values bound by the kernel template (accumulators, reduction phases). */
  private readonly special = new Map<Node, (index: readonly string[]) => string>();

  constructor(
    private readonly realized: ReadonlySet<Node>,
    private readonly output: Node,
    /** An input sharing the output's buffer (written in place): read through `out`. */
    private readonly inPlace?: Node,
  ) {
    this.bindings.push({ node: output, name: "out", access: "read_write" });
  }

  /** Open a block; lines emitted until `close` are indented under it. */
  open(header: string): void {
    const parent = this.scopes[this.scopes.length - 1];
    parent?.lines.push(`${parent.indent}${header} {`);
    this.scopes.push({ lines: [], memo: new Map(), indent: parent ? parent.indent + "  " : "  " });
  }

  close(): string[] {
    const scope = this.scopes.pop()!;
    const parent = this.scopes[this.scopes.length - 1];
    if (parent) {
      parent.lines.push(...scope.lines, `${parent.indent}}`);
      return [];
    }
    return scope.lines;
  }

  /** Has a `let name` been emitted in an open scope? */
  inScope(name: string): boolean {
    return this.scopes.some((sc) => sc.lines.some((l) => l.trimStart().startsWith(`let ${name} `)));
  }

  line(text: string): void {
    const scope = this.scopes[this.scopes.length - 1]!;
    scope.lines.push(scope.indent + text);
  }

  fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  /** Let the template supply `node`'s value (an accumulator or a reduction phase). */
  provide(node: Node, value: (index: readonly string[]) => string): void {
    this.special.set(node, value);
  }

  buffer(node: Node): string {
    // WebGPU forbids binding one buffer twice when one binding writes it.
    if (node === this.inPlace) return "out";
    const found = this.bindings.find((b) => b.node === node);
    if (found) return found.name;
    const name = `b${this.bindings.length}`;
    this.bindings.push({ node, name, access: "read" });
    return name;
  }

  /** A load of a realized node at `index`, converted from storage to a WGSL value. */
  load(node: Node, index: readonly string[]): string {
    const raw = `${this.buffer(node)}[${linearIndex(index, node.shape)}]`;
    return node.dtype === "bool" ? `(${raw} != 0u)` : raw;
  }

  /** The WGSL expression for `node` at `index` (i32 expressions, one per dim). */
  value(node: Node, index: readonly string[]): string {
    const key = `${node.id}@${index.join(",")}`;
    for (let s = this.scopes.length - 1; s >= 0; s--) {
      const hit = this.scopes[s]!.memo.get(key);
      if (hit) return hit;
    }
    const expr = this.compute(node, index);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(expr) || /^\(?-?[0-9.]+[fi]?\)?$/.test(expr)) return expr;
    const name = this.fresh("v");
    this.line(`let ${name} = ${expr};`);
    this.scopes[this.scopes.length - 1]!.memo.set(key, name);
    return name;
  }

  private compute(node: Node, index: readonly string[]): string {
    const special = this.special.get(node);
    if (special) return special(index);
    if (this.realized.has(node) && node !== this.output) return this.load(node, index);
    if (node.op === "input" || node.op === "constant") return this.load(node, index);
    this.fused.add(node);
    const def = opDef(node.op);
    const lower = def.lower;
    switch (lower.kind) {
      case "elementwise": {
        for (const h of lower.helpers ?? []) this.helpers.add(h);
        const args = node.inputs.map((i) => this.value(i, index));
        return lower.wgsl(args, { inputs: node.inputs.map((i) => i.dtype), out: node.dtype });
      }
      case "movement": {
        const maps = (lower as MovementLowering<unknown>).index(index, node.params, node.inputs.map((i) => i.shape), node.shape);
        return this.select(node, maps);
      }
      case "source": {
        const src = lower as SourceLowering<unknown>;
        for (const h of src.helpers ?? []) this.helpers.add(h);
        if (!src.value) return this.load(node, index);
        return src.value(index, node.params, node.shape, (word) => this.value(node.inputs[0]!, [`${word}i`]));
      }
      case "reduce":
      case "contraction":
        // Only reachable when a template did not `provide` it: the schedule realizes those.
        throw notComputable(node);
    }
  }

  /** A movement op's value: its input at the mapped index, or the fill where invalid. */
  private select(node: Node, maps: readonly IndexMap[]): string {
    let result: string | undefined;
    maps.forEach((map, k) => {
      const v = this.value(node.inputs[k]!, map.index);
      if (!map.valid) {
        result = v;
        return;
      }
      const otherwise = result ?? literal(map.fill ?? 0, node.dtype);
      result = `select(${otherwise}, ${v}, ${map.valid})`;
    });
    return result!;
  }

  /** Store a WGSL value into the output buffer at a linear position. */
  store(position: string, value: string): void {
    this.line(`out[${position}] = ${this.output.dtype === "bool" ? `select(0u, 1u, ${value})` : value};`);
  }

  declarations(): string[] {
    return [
      ...this.bindings.map(
        (b, i) => `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${storageType(b.node.dtype)}>;`,
      ),
      ...this.helpers,
    ];
  }

  type(node: Node): string {
    return wgslType(node.dtype);
  }
}
