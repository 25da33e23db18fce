/**
 * Seeded fuzzing of the weight loaders: thousands of mutations of real checkpoints (fixture A's
 * `.pth` and `.safetensors`): bytes flipped, ranges overwritten, zeroed or duplicated, the file
 * cut short or grown. Every outcome must be a correct load or a named error (WeightFileError,
 * PickleError, WeightError) whose message names the file, each case within a time bound, and the
 * whole run within a memory bound. FUZZ_CASES=n changes the count, FUZZ_SEED=s the seed.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PickleError, readStateDict, WeightFileError } from "../../src/runtime/io/index.js";
import { mulberry32 } from "../../src/dsl/random/mulberry32.js";
import { fixture } from "./helpers.js";

const CASES = Number(process.env.FUZZ_CASES ?? 2500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const CASE_SECONDS = 5;

type Mutation = (b: Uint8Array, rand: () => number) => Uint8Array;
const at = (b: Uint8Array, rand: () => number) => Math.floor(rand() * b.length);
const MUTATIONS: readonly [string, Mutation][] = [
  ["flip bytes", (b, r) => { const c = b.slice(); for (let i = 1 + Math.floor(r() * 8); i > 0; i--) { const j = at(c, r); c[j] = c[j]! ^ (1 << Math.floor(r() * 8)); } return c; }],
  ["flip a byte near the start", (b, r) => { const c = b.slice(); c[Math.floor(r() * Math.min(c.length, 4096))] = Math.floor(r() * 256); return c; }],
  ["flip a byte near the end", (b, r) => { const c = b.slice(); c[c.length - 1 - Math.floor(r() * Math.min(c.length, 4096))] = Math.floor(r() * 256); return c; }],
  ["overwrite a range", (b, r) => { const c = b.slice(); const s = at(c, r); for (let i = s; i < Math.min(c.length, s + 1 + Math.floor(r() * 64)); i++) c[i] = Math.floor(r() * 256); return c; }],
  ["zero a range", (b, r) => { const c = b.slice(); const s = at(c, r); c.fill(0, s, s + 1 + Math.floor(r() * 256)); return c; }],
  ["cut short", (b, r) => b.slice(0, at(b, r))],
  ["grow", (b, r) => { const c = new Uint8Array(b.length + 1 + Math.floor(r() * 64)); c.set(b); return c; }],
  ["duplicate a range", (b, r) => {
    const s = at(b, r);
    const n = Math.min(1 + Math.floor(r() * 128), b.length - s);
    const c = new Uint8Array(b.length + n);
    c.set(b.subarray(0, s + n));
    c.set(b.subarray(s, s + n), s + n);
    c.set(b.subarray(s + n), s + 2 * n);
    return c;
  }],
  ["big numbers in the first bytes", (b, r) => { const c = b.slice(); new DataView(c.buffer).setUint32(Math.floor(r() * 8) * 4, Math.floor(r() * 2 ** 32), true); return c; }],
];

describe.each(["weights.pth", "weights.safetensors"])("fuzzing %s", (file) => {
  it(`${CASES} seeded mutations end in a load or a named error naming the file`, async () => {
    const original = new Uint8Array(readFileSync(fixture("A", file)));
    const rand = mulberry32(SEED ^ file.length);
    const outcomes = new Map<string, number>();
    let worst = { seconds: 0, what: "" };
    const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    let heapPeak = 0;
    for (let i = 0; i < CASES; i++) {
      const [what, mutate] = MUTATIONS[Math.floor(rand() * MUTATIONS.length)]!;
      const bytes = mutate(original, rand);
      const name = `case-${i}-${file}`;
      const t0 = performance.now();
      let outcome: string;
      try {
        await readStateDict(bytes, { name });
        outcome = "loaded";
      } catch (error) {
        const named = error instanceof WeightFileError || error instanceof PickleError;
        expect(named, `${what} (case ${i}): ${String(error)}`).toBe(true);
        expect((error as Error).message.startsWith(name), `${what} (case ${i}): ${(error as Error).message}`).toBe(true);
        outcome = (error as Error).name;
      }
      const seconds = (performance.now() - t0) / 1000;
      if (seconds > worst.seconds) worst = { seconds, what: `${what} (case ${i})` };
      expect(seconds, `${what} (case ${i})`).toBeLessThan(CASE_SECONDS);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (i % 100 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heap0);
    }
    console.log(`fuzz ${file}: ${CASES} cases, ${JSON.stringify(Object.fromEntries(outcomes))}, slowest ${worst.seconds.toFixed(3)} s (${worst.what}), heap growth ≤ ${(heapPeak / 2 ** 20).toFixed(0)} MiB`);
    expect(heapPeak / 2 ** 20).toBeLessThan(1024);
  }, 300_000);
});
