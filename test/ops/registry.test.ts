/**
 * The registry is total over OpName and each OpDef is well formed. The expected table below is
 * typed `Record<OpName, …>` (so `tsc` fails if a name is added or removed without updating it)
 * and is also compared at run time with the registry's keys (so vitest fails too).
 */
import { describe, expect, it } from "vitest";
import type { FusionRole } from "../../src/dsl/ops/def.js";
import { BINARY, MOVEMENT, REDUCE, SOURCES, UNARY, type OpName } from "../../src/dsl/ops/params.js";
import { opDef, registry } from "../../src/dsl/ops/registry.js";

const ROLES: readonly FusionRole[] = ["source", "elementwise", "reduce", "movement", "contraction"];

/** Every primitive with its expected fusion role and arity. */
const EXPECTED: Record<OpName, readonly [FusionRole, number | "variadic"]> = {
  constant: ["source", 0],
  input: ["source", 0],
  full: ["source", 0],
  iota: ["source", 0],
  random: ["source", 1],
  neg: ["elementwise", 1],
  exp: ["elementwise", 1],
  log: ["elementwise", 1],
  sin: ["elementwise", 1],
  cos: ["elementwise", 1],
  sqrt: ["elementwise", 1],
  recip: ["elementwise", 1],
  tanh: ["elementwise", 1],
  erf: ["elementwise", 1],
  add: ["elementwise", 2],
  sub: ["elementwise", 2],
  mul: ["elementwise", 2],
  div: ["elementwise", 2],
  max: ["elementwise", 2],
  pow: ["elementwise", 2],
  cmplt: ["elementwise", 2],
  cmpeq: ["elementwise", 2],
  where: ["elementwise", 3],
  cast: ["elementwise", 1],
  reduceSum: ["reduce", 1],
  reduceMax: ["reduce", 1],
  reshape: ["movement", 1],
  permute: ["movement", 1],
  expand: ["movement", 1],
  slice: ["movement", 1],
  pad: ["movement", 1],
  flip: ["movement", 1],
  concat: ["movement", "variadic"],
  barrier: ["movement", 2],
  dot: ["contraction", 2],
  conv: ["contraction", 2],
};

const NAMES = Object.keys(EXPECTED) as OpName[];

describe("registry", () => {
  it("holds exactly the expected primitives", () => {
    expect(NAMES).toHaveLength(36);
    expect(Object.keys(registry()).sort()).toEqual([...NAMES].sort());
  });

  it("is built once and shared", () => {
    expect(registry()).toBe(registry());
    for (const name of NAMES) expect(opDef(name)).toBe(registry()[name]);
  });

  describe.each(NAMES)("%s", (name) => {
    it("is well formed", () => {
      const def = registry()[name];
      expect(def.name).toBe(name);
      expect(ROLES).toContain(def.role);
      const arity = def.arity;
      expect(arity === "variadic" || (Number.isInteger(arity) && arity >= 0 && arity <= 3)).toBe(true);
      expect(typeof def.shape).toBe("function");
      expect(typeof def.cpu).toBe("function");
      expect(typeof def.vjp).toBe("function");
    });

    it("has a lowering of the kind its fusion role calls for", () => {
      const def = registry()[name];
      expect(typeof def.lower).toBe("object");
      expect((def.lower as { kind: string }).kind).toBe(def.role);
    });

    it("has the expected role and arity", () => {
      const def = registry()[name];
      expect([def.role, def.arity]).toEqual([...EXPECTED[name]]);
    });
  });

  it("family groups agree with roles and partition the non-special ops", () => {
    const roleOf = (n: OpName) => registry()[n].role;
    for (const n of UNARY) expect([n, roleOf(n), registry()[n].arity]).toEqual([n, "elementwise", 1]);
    for (const n of BINARY) expect([n, roleOf(n), registry()[n].arity]).toEqual([n, "elementwise", 2]);
    for (const n of MOVEMENT) expect([n, roleOf(n)]).toEqual([n, "movement"]);
    for (const n of SOURCES) expect([n, roleOf(n)]).toEqual([n, "source"]);
    for (const n of REDUCE) expect([n, roleOf(n)]).toEqual([n, "reduce"]);
    const grouped = [...UNARY, ...BINARY, ...MOVEMENT, ...SOURCES, ...REDUCE];
    expect(new Set(grouped).size).toBe(grouped.length);
    const rest = NAMES.filter((n) => !(grouped as readonly string[]).includes(n)).sort();
    expect(rest).toEqual(["barrier", "cast", "conv", "dot", "where"]);
  });
});
