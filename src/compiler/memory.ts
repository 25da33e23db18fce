/**
 * @file The memory plan: which pooled buffer holds each kernel output. A value is live from
 * the kernel that writes it to the last kernel that reads it (program outputs to the end);
 * a buffer is reused once its value is dead. Two placements are tried (in write order, and
 * largest first) and the one with the smaller pool is kept.
 */

export interface Value {
  readonly id: number;
  readonly bytes: number;
  /** Kernel index that writes it. */
  readonly def: number;
  /** Last kernel index that reads it (Infinity for program outputs). */
  readonly lastUse: number;
}

export interface MemoryPlan {
  /** Buffer slot per value id. */
  readonly slotOf: ReadonlyMap<number, number>;
  /** Size of each slot in bytes. */
  readonly slotBytes: readonly number[];
  /** Bytes a run needs for pooled values, and what no reuse would need. */
  readonly pooledBytes: number;
  readonly unpooledBytes: number;
}

const ALIGN = 256;
const aligned = (bytes: number) => Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);

/** Both placements below; the one that needs the smaller pool. */
export function planMemory(values: readonly Value[]): MemoryPlan {
  const unpooledBytes = values.reduce((a, v) => a + aligned(v.bytes), 0);
  const plans = [inDefOrder(values), bySize(values)].map(({ slotOf, slotBytes }) => ({ slotOf, slotBytes, pooledBytes: slotBytes.reduce((a, b) => a + b, 0), unpooledBytes }));
  return plans[0]!.pooledBytes <= plans[1]!.pooledBytes ? plans[0]! : plans[1]!;
}

type Placement = { slotOf: Map<number, number>; slotBytes: number[] };

/**
 * In the order values are written: each takes a free slot, the smallest that fits, else the
 * largest, which grows (optimal for equal sizes: interval colouring).
 */
function inDefOrder(values: readonly Value[]): Placement {
  // Values kept to the end (outputs) are placed last, in slots nothing later needs: placed in
  // turn, one would take a large slot for good (a weight gradient in an activation's slot)
  // and the next activation would need a fresh one.
  const kept = (v: Value) => (v.lastUse === Infinity ? 1 : 0);
  const byDef = [...values].sort((a, b) => kept(a) - kept(b) || a.def - b.def || b.bytes - a.bytes);
  const slotBytes: number[] = [];
  const slotFreeAfter: number[] = [];
  const slotOf = new Map<number, number>();
  for (const v of byDef) {
    const size = aligned(v.bytes);
    // Free slots: their last value's last use is before this value is written.
    let best = -1;
    for (let s = 0; s < slotBytes.length; s++) {
      if (slotFreeAfter[s]! >= v.def) continue;
      if (best < 0) best = s;
      const fits = slotBytes[s]! >= size;
      const bestFits = slotBytes[best]! >= size;
      // Prefer the smallest slot that fits; else the largest (grows least).
      if ((fits && (!bestFits || slotBytes[s]! < slotBytes[best]!)) || (!fits && !bestFits && slotBytes[s]! > slotBytes[best]!)) best = s;
    }
    if (best < 0) {
      best = slotBytes.length;
      slotBytes.push(size);
      slotFreeAfter.push(v.lastUse);
    } else {
      slotBytes[best] = Math.max(slotBytes[best]!, size);
      slotFreeAfter[best] = v.lastUse;
    }
    slotOf.set(v.id, best);
  }
  return { slotOf, slotBytes };
}

/**
 * Largest values first (TFLite's greedy-by-size for shared objects): each goes to the
 * smallest slot free for its whole lifetime, or a new slot of its size, so slots never grow
 * and small values fill the gaps that large ones leave. Mixed sizes (a training step's
 * activations, weight gradients, per-row statistics) fragment far less than in write order.
 */
function bySize(values: readonly Value[]): Placement {
  const sorted = [...values].sort((a, b) => b.bytes - a.bytes || a.def - b.def);
  const slotBytes: number[] = [];
  // Per slot, its values' [def, lastUse] intervals: disjoint, sorted by def.
  const busy: [number, number][][] = [];
  const slotOf = new Map<number, number>();
  const freeFor = (intervals: readonly [number, number][], v: Value): number => {
    // The last interval starting at or before v.lastUse is the only one that can overlap v.
    let lo = 0;
    let hi = intervals.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (intervals[mid]![0] <= v.lastUse) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && intervals[lo - 1]![1] >= v.def ? -1 : lo;
  };
  for (const v of sorted) {
    const size = aligned(v.bytes);
    let best = -1;
    let at = 0;
    for (let s = 0; s < slotBytes.length; s++) {
      if (best >= 0 && slotBytes[s]! >= slotBytes[best]!) continue;
      const i = freeFor(busy[s]!, v);
      if (i >= 0) [best, at] = [s, i];
    }
    if (best < 0) {
      best = slotBytes.length;
      slotBytes.push(size);
      busy.push([]);
    }
    busy[best]!.splice(at, 0, [v.def, v.lastUse]);
    slotOf.set(v.id, best);
  }
  return { slotOf, slotBytes };
}

/** Pairs of values that share a slot while both are live (must be none). */
export function aliasingViolations(values: readonly Value[], plan: MemoryPlan): [Value, Value][] {
  const bad: [Value, Value][] = [];
  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) {
      const a = values[i]!;
      const b = values[j]!;
      if (plan.slotOf.get(a.id) !== plan.slotOf.get(b.id)) continue;
      if (a.def <= b.lastUse && b.def <= a.lastUse) bad.push([a, b]);
    }
  }
  return bad;
}
