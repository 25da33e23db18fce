/**
 * @file The GPU wait's nap policy (`runtime/webgpu/settle.ts`) on a virtual clock: no nap in
 * the first 0.5 ms, then naps that grow with the wait up to 1 ms, the loop ending with the
 * wait, and a new run of waits starting its clock afresh (a stale clock once made every short
 * wait nap a full millisecond). The real platform's napper is Node's `Atomics.wait`.
 */
import { describe, expect, it } from "vitest";
import { createSettle, type Napper } from "../../src/runtime/webgpu/settle.js";

/** A clock that moves by `tick` ms a loop turn and by whatever is slept; a GPU done at `doneAt`. */
function virtualGpu(tick = 0.01) {
  let clock = 0;
  const queue: (() => void)[] = [];
  const naps: { at: number; ms: number }[] = [];
  const napper: Napper = {
    sleep: (ms) => {
      naps.push({ at: clock, ms });
      clock += ms;
    },
    later: (f) => void queue.push(f),
    now: () => clock,
  };
  /** A wait that ends `ms` from now, settled through the loop turns it takes. */
  const wait = async (settle: <T>(p: Promise<T>) => Promise<T>, ms: number) => {
    const doneAt = clock + ms;
    let finish!: () => void;
    const gpu = new Promise<void>((resolve) => (finish = resolve));
    let settled = false;
    const waiting = settle(gpu).then(() => (settled = true));
    let turns = 0;
    while (!settled) {
      const f = queue.shift();
      clock += tick;
      f?.();
      if (clock >= doneAt) finish();
      await new Promise((r) => setTimeout(r, 0)); // let the promise callbacks run
      if (++turns > 100_000) throw new Error("the wait never settled");
    }
    await waiting;
    return turns;
  };
  return { napper, naps, queue, wait, now: () => clock };
}

describe("settle: waiting for the GPU without spinning", () => {
  it("does not nap in the first 0.5 ms, then naps an eighth of the time waited, at most 1 ms", async () => {
    const v = virtualGpu();
    const settle = createSettle(() => v.napper);
    const turns = await v.wait(settle, 50);
    expect(v.naps.length).toBeGreaterThan(0);
    expect(v.naps[0]!.at).toBeGreaterThanOrEqual(0.5);
    for (const nap of v.naps) expect(nap.ms).toBeCloseTo(Math.min(1, nap.at / 8), 6);
    expect(Math.max(...v.naps.map((n) => n.ms))).toBe(1);
    // Spinning would take 5000 turns of 0.01 ms; napping takes about one a millisecond.
    expect(turns).toBeLessThan(200);
    const slept = v.naps.reduce((s, n) => s + n.ms, 0);
    expect(slept / v.now()).toBeGreaterThan(0.9);
  });

  it("a short wait never naps, and the loop ends with the wait", async () => {
    const v = virtualGpu();
    const settle = createSettle(() => v.napper);
    await v.wait(settle, 0.3);
    expect(v.naps).toEqual([]);
    // The loop's last turn sees nothing pending and does not reschedule itself.
    while (v.queue.length > 0) v.queue.shift()!();
    expect(v.queue).toEqual([]);
  });

  it("a new run of waits starts its clock afresh", async () => {
    const v = virtualGpu();
    const settle = createSettle(() => v.napper);
    await v.wait(settle, 30);
    // The loop's next turn is still queued (it has not yet seen the first wait end).
    expect(v.queue.length).toBe(1);
    const before = v.naps.length;
    const start = v.now();
    await v.wait(settle, 2);
    const second = v.naps.slice(before);
    expect(second.length).toBeGreaterThan(0);
    expect(second[0]!.at - start).toBeGreaterThanOrEqual(0.5);
    for (const nap of second) expect(nap.ms).toBeLessThan(0.26); // ≤ 2 ms / 8, never the earlier 1 ms
  });

  it("without a napper (a browser, WGTENSOR_GPU_WAIT=spin) it is a plain await", async () => {
    const settle = createSettle(() => undefined);
    await expect(settle(Promise.resolve(7))).resolves.toBe(7);
    await expect(settle(Promise.reject(new Error("lost")))).rejects.toThrow("lost");
  });
});
