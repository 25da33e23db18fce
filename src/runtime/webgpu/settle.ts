/**
 * @file Waiting for the GPU without holding a core.
 *
 * Dawn for Node (the `webgpu` package) resolves its promises (`mapAsync`, `onSubmittedWorkDone`,
 * `popErrorScope`) by ticking the device from a `setImmediate` loop that runs for as long as one
 * is pending: a busy loop that keeps one core at 100 % for the whole GPU wait. On lavapipe the
 * GPU is the CPU, so on a 2-core machine that loop takes a core from the kernels themselves
 * (`bench/raw-matmul.ts`, 1024³: process CPU time is twice the kernel time with
 * LP_NUM_THREADS=1). `settle` lets the loop tick but puts the thread to sleep between ticks, for
 * a nap that grows with the wait: none for the first 0.5 ms, then an eighth of the time waited
 * so far, at most 1 ms, so a short wait stays short and a long one costs the CPU next to
 * nothing. `WGTENSOR_GPU_WAIT=spin` turns it off; in a browser (the GPU in another process)
 * there is nothing to do. A nap blocks the thread: other JavaScript on it waits up to 1 ms.
 */
import { platform } from "#platform";

const MAX_NAP_MS = 1;
/**
 * The first this many ms of a wait spin as before: a sleep costs at least the kernel's timer
 * slack (50 µs on Linux), which a dispatch of a few floats would feel, and a short spin costs
 * little CPU.
 */
const SPIN_MS = 0.5;

/** What napping needs: a blocking sleep, a call after the event loop's I/O, and a clock. */
export interface Napper {
  readonly sleep: (ms: number) => void;
  readonly later: (f: () => void) => void;
  readonly now: () => number;
}

/**
 * A `settle` over `napper` (undefined: plain awaits). One nap loop runs while any of its waits
 * is pending; a run of waits (pending 0 → 1) restarts the clock the naps grow with.
 */
export function createSettle(napper: () => Napper | undefined): <T>(promise: Promise<T>) => Promise<T> {
  let pending = 0;
  let since = 0;
  let napping = false;
  const startNapping = ({ sleep, later, now }: Napper) => {
    if (napping) return;
    napping = true;
    const nap = () => {
      if (pending === 0) {
        napping = false;
        return;
      }
      const waited = now() - since;
      if (waited >= SPIN_MS) sleep(Math.min(MAX_NAP_MS, waited / 8));
      later(nap);
    };
    later(nap);
  };
  return async <T>(promise: Promise<T>): Promise<T> => {
    const n = napper();
    if (!n) return promise;
    if (pending++ === 0) since = n.now();
    startNapping(n);
    try {
      return await promise;
    } finally {
      pending--;
    }
  };
}

/** The platform's napper: Node's `Atomics.wait` and `setImmediate`, unless `WGTENSOR_GPU_WAIT=spin`. */
function platformNapper(): Napper | undefined {
  const { sleepSync, setImmediate } = platform;
  if (!sleepSync || !setImmediate || platform.env("WGTENSOR_GPU_WAIT") === "spin") return undefined;
  return { sleep: sleepSync, later: setImmediate, now: () => performance.now() };
}

/** `promise` (a GPU wait), awaited with naps between Dawn's ticks where the platform can sleep. */
export const settle = createSettle(platformNapper);
