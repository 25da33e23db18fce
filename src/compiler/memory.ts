/**
 * @file The memory plan: which pooled buffer holds each kernel output. A value is live from
 * the kernel that writes it to the last kernel that reads it (program outputs to the end);
 * a buffer is reused once its value is dead, best fit by size, growing when needed.
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

export function planMemory(values: readonly Value[]): MemoryPlan {
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
  return {
    slotOf,
    slotBytes,
    pooledBytes: slotBytes.reduce((a, b) => a + b, 0),
    unpooledBytes: values.reduce((a, v) => a + aligned(v.bytes), 0),
  };
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
