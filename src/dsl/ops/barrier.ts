/**
 * @file barrier(x, after): the value of x, available only once `after` exists. It is the
 * optimisation barrier of rematerialisation (gradient checkpointing, `checkpoint` in
 * dsl/transforms): a recomputed forward reads its inputs through a barrier on the incoming
 * cotangent, so hash-consing cannot merge the recomputation with the original forward (an
 * input differs) and no topological order can run it before the backward pass reaches it.
 * `after` is never read: the lowering maps x's index only, so no kernel binds its buffer.
 * Its role is movement (an identity view of x) but it is not in the MOVEMENT group, so no
 * simplification rule folds it away.
 */
import type { OpDef } from "./def.js";

export const barrier: OpDef<"barrier"> = {
  name: "barrier",
  role: "movement",
  arity: 2,
  shape: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
  cpu: ([x]) => x!,
  lower: { kind: "movement", index: (out) => [{ index: out }] },
  vjp: (ct) => [ct, undefined],
};
