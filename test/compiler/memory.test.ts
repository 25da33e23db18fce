/**
 * @file The memory plan (no GPU): no two simultaneously-live values share a slot, buffers are
 * reused (pooled ≤ unpooled; strictly less for a chain), slots are big enough, and the plans
 * compileGraph makes for random graphs are safe when replayed kernel by kernel.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileGraph } from "../../src/compiler/compile.js";
import { aliasingViolations, planMemory, type MemoryPlan, type Value } from "../../src/compiler/memory.js";
import * as core from "../../src/dsl/core.js";
import type { Node } from "../../src/dsl/node.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { spec, trace } from "../../src/dsl/transforms.js";
import { buildGraph, inputShape, recipeArb } from "./random-graphs.js";

/** Values: one per kernel index (as compileGraph makes them) or several per index. */
function valuesArb(onePerKernel: boolean): fc.Arbitrary<Value[]> {
  const value = fc.record({
    def: fc.integer({ min: 0, max: 30 }),
    span: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constant(Infinity)),
    bytes: fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.constantFrom(4, 256, 257, 1024)),
  });
  return fc.array(value, { minLength: 0, maxLength: 40 }).map((vs) =>
    vs.map((v, i) => ({ id: 1000 + i, bytes: v.bytes, def: onePerKernel ? i : v.def, lastUse: (onePerKernel ? i : v.def) + v.span })),
  );
}

const live = (a: Value, b: Value) => a.def <= b.lastUse && b.def <= a.lastUse;

/** Independent check: pairs in one slot with overlapping [def, lastUse]. */
function overlaps(values: readonly Value[], plan: MemoryPlan): string[] {
  const bad: string[] = [];
  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) {
      const [a, b] = [values[i]!, values[j]!];
      if (plan.slotOf.get(a.id) === plan.slotOf.get(b.id) && live(a, b)) bad.push(`${a.id}[${a.def},${a.lastUse}] and ${b.id}[${b.def},${b.lastUse}] share slot ${plan.slotOf.get(a.id)}`);
    }
  }
  return bad;
}

function checkPlan(values: readonly Value[], plan: MemoryPlan): void {
  expect(overlaps(values, plan)).toEqual([]);
  expect(aliasingViolations(values, plan)).toEqual([]);
  for (const v of values) {
    const slot = plan.slotOf.get(v.id);
    expect(slot, `value ${v.id} has a slot`).toBeDefined();
    expect(plan.slotBytes[slot!]!, `slot ${slot} holds value ${v.id}`).toBeGreaterThanOrEqual(v.bytes);
  }
  expect(plan.pooledBytes).toBe(plan.slotBytes.reduce((a, b) => a + b, 0));
  expect(plan.pooledBytes).toBeLessThanOrEqual(plan.unpooledBytes);
}

describe("planMemory", () => {
  it("never lets two simultaneously-live values share a slot (one value per kernel)", () => {
    fc.assert(fc.property(valuesArb(true), (values) => checkPlan(values, planMemory(values))), { numRuns: 300 });
  });

  it("never lets two simultaneously-live values share a slot (arbitrary lifetimes, shuffled order)", () => {
    const arb = valuesArb(false).chain((vs) => fc.shuffledSubarray(vs, { minLength: vs.length, maxLength: vs.length }));
    fc.assert(fc.property(arb, (values) => checkPlan(values, planMemory(values))), { numRuns: 300 });
  });

  it("uses no more slots than the most values live at once, for equal sizes", () => {
    fc.assert(
      fc.property(valuesArb(true), (vs) => {
        const values = vs.map((v) => ({ ...v, bytes: 512 }));
        const plan = planMemory(values);
        const peak = Math.max(0, ...values.map((v) => values.filter((w) => live(v, w)).length));
        // Greedy interval colouring by start time is optimal for interval graphs.
        expect(plan.slotBytes.length).toBeLessThanOrEqual(peak);
      }),
      { numRuns: 200 },
    );
  });

  it("reuses buffers along a chain: two slots however long it is", () => {
    for (const length of [2, 3, 10, 100]) {
      const values: Value[] = Array.from({ length }, (_, i) => ({ id: i, bytes: 4096, def: i, lastUse: i === length - 1 ? Infinity : i + 1 }));
      const plan = planMemory(values);
      checkPlan(values, plan);
      expect(plan.slotBytes.length).toBe(Math.min(2, length));
      if (length > 2) expect(plan.pooledBytes).toBeLessThan(plan.unpooledBytes);
    }
  });

  it("mixed sizes: largest first when placing in write order would strand a small value in a big slot", () => {
    // In write order c takes b's dead 4 KiB slot, so d needs a third: 256 + 4096 + 4096 bytes.
    // Largest first, b and d share one 4 KiB slot and the small ones two small slots.
    const values: Value[] = [
      { id: 1, bytes: 256, def: 0, lastUse: 10 },
      { id: 2, bytes: 4096, def: 0, lastUse: 1 },
      { id: 3, bytes: 256, def: 2, lastUse: 3 },
      { id: 4, bytes: 4096, def: 2, lastUse: 3 },
    ];
    const plan = planMemory(values);
    checkPlan(values, plan);
    expect(plan.pooledBytes).toBe(4096 + 256 + 256);
  });

  it("values kept to the end do not take a slot a later value needs", () => {
    // Placed in turn, the kept gradient-like value (id 2) would sit in the activation's dead
    // slot and the next activation (id 3) would need a fresh one.
    const values: Value[] = [
      { id: 1, bytes: 4096, def: 0, lastUse: 1 },
      { id: 2, bytes: 1024, def: 2, lastUse: Infinity },
      { id: 3, bytes: 4096, def: 3, lastUse: 4 },
    ];
    const plan = planMemory(values);
    checkPlan(values, plan);
    expect(plan.pooledBytes).toBe(4096 + 1024);
  });

  it("aligns slots to 256 bytes and grows a reused slot to its largest value", () => {
    const values: Value[] = [
      { id: 1, bytes: 4, def: 0, lastUse: 1 },
      { id: 2, bytes: 300, def: 1, lastUse: 2 },
      { id: 3, bytes: 2000, def: 2, lastUse: Infinity },
    ];
    const plan = planMemory(values);
    checkPlan(values, plan);
    for (const b of plan.slotBytes) expect(b % 256).toBe(0);
    expect(plan.slotOf.get(1)).toBe(plan.slotOf.get(3));
  });

  it("aliasingViolations reports a hand-made bad plan", () => {
    const values: Value[] = [
      { id: 1, bytes: 16, def: 0, lastUse: 2 },
      { id: 2, bytes: 16, def: 1, lastUse: 3 },
    ];
    const bad: MemoryPlan = { slotOf: new Map([[1, 0], [2, 0]]), slotBytes: [256], pooledBytes: 256, unpooledBytes: 512 };
    expect(aliasingViolations(values, bad)).toHaveLength(1);
    expect(overlaps(values, bad)).toHaveLength(1);
  });
});

/**
 * Replay a compiled graph's kernels in order, tracking which value each slot holds: every read
 * must find its value still in its slot, a kernel never writes a slot it reads, and every
 * program output is still in place at the end.
 */
function replay(graph: ReturnType<typeof compileGraph>): string[] {
  const problems: string[] = [];
  const owner = new Map<number, Node>();
  const slotOf = (n: Node) => graph.memory.slotOf.get(n.id);
  const pooled = (n: Node) => n.op !== "input" && n.op !== "constant";
  graph.kernels.forEach((k, i) => {
    const out = k.plan.root;
    const outSlot = slotOf(out);
    if (outSlot === undefined) problems.push(`${k.name}: output ${out.op}#${out.id} has no slot`);
    for (const read of k.bindings.slice(1)) {
      if (!pooled(read)) continue;
      const s = slotOf(read);
      if (s === undefined) problems.push(`${k.name} reads ${read.op}#${read.id}, which has no slot`);
      else if (owner.get(s) !== read) problems.push(`${k.name} (kernel ${i}) reads ${read.op}#${read.id} from slot ${s}, which holds ${owner.get(s)?.op}#${owner.get(s)?.id}`);
      if (s === outSlot) problems.push(`${k.name} writes slot ${s} while reading it`);
    }
    if (outSlot !== undefined) owner.set(outSlot, out);
  });
  for (const o of graph.outputs) {
    if (!pooled(o)) continue;
    const s = slotOf(o);
    if (s === undefined || owner.get(s) !== o) problems.push(`output ${o.op}#${o.id} is not in its slot at the end`);
  }
  return problems;
}

describe("compileGraph's memory plan", () => {
  it("has no aliasing violations and replays safely for random graphs", () => {
    fc.assert(
      // A limit of 4 storage buffers (WebGPU's minimum is 8) forces kernels to be split.
      fc.property(recipeArb({ maxSteps: 14, maxContractions: 2 }), fc.constantFrom(4, 8), (r, limit) => {
        const f = buildGraph(r);
        const program = trace((...xs: AnyTensor[]) => f(...xs), Array.from({ length: r.inputs }, () => spec(inputShape(r))) as never);
        const graph = compileGraph(program.outputs, { maxStorageBuffers: limit });
        for (const k of graph.kernels) expect(k.bindings.length).toBeLessThanOrEqual(limit);
        expect(aliasingViolations(graph.values, graph.memory)).toEqual([]);
        expect(overlaps(graph.values, graph.memory)).toEqual([]);
        expect(replay(graph)).toEqual([]);
        expect(graph.memory.pooledBytes).toBeLessThanOrEqual(graph.memory.unpooledBytes);
      }),
      { numRuns: 150 },
    );
  });

  it("pools a long chain of kernels into a few buffers", () => {
    // Each matmul is a kernel of its own (its epilogue, tanh, fuses into it).
    const f = (x: AnyTensor) => {
      let t = x;
      for (let i = 0; i < 12; i++) t = core.tanh(core.matmul(t, t));
      return t;
    };
    const program = trace(f, [spec([8, 8])] as never);
    const graph = compileGraph(program.outputs, { maxStorageBuffers: 8 });
    expect(graph.kernels.length).toBe(12);
    expect(replay(graph)).toEqual([]);
    expect(graph.memory.pooledBytes).toBeLessThan(graph.memory.unpooledBytes);
    expect(graph.memory.slotBytes.length).toBe(2);
  });
});
