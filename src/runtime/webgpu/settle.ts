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

let pending = 0;
/** When the current run of waits began (pending went from 0 to 1). */
let since = 0;
let napping = false;

function startNapping(sleep: (ms: number) => void, later: (f: () => void) => void): void {
  if (napping) return;
  napping = true;
  const nap = () => {
    if (pending === 0) {
      napping = false;
      return;
    }
    const waited = performance.now() - since;
    if (waited >= SPIN_MS) sleep(Math.min(MAX_NAP_MS, waited / 8));
    later(nap);
  };
  later(nap);
}

/** `promise` (a GPU wait), awaited with naps between Dawn's ticks where the platform can sleep. */
export async function settle<T>(promise: Promise<T>): Promise<T> {
  const { sleepSync, setImmediate } = platform;
  if (!sleepSync || !setImmediate || platform.env("WGTENSOR_GPU_WAIT") === "spin") return promise;
  if (pending++ === 0) since = performance.now();
  startNapping(sleepSync, setImmediate);
  try {
    return await promise;
  } finally {
    pending--;
  }
}
