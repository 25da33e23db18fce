/**
 * @file What wgtensor needs from the platform it runs on, and nothing else: files, the process
 * environment, and a WebGPU implementation when the host has no `navigator.gpu`. Two modules
 * implement it, `node.ts` and `browser.ts`; the package's `imports` map (`#platform`, with a
 * `"node"` condition) picks one, so a browser bundle never sees `node:*` modules or the `webgpu`
 * package. See docs in the README's "In the browser" section.
 */

/** A random-access view of a file, read by position (see `runtime/io/source.ts`). */
export interface FileHandle {
  readonly size: number;
  /** Fill `into` from byte `position`; returns how many bytes were read (0 at the end). */
  readInto(into: Uint8Array, offset: number, length: number, position: number): number;
  close(): void;
}

/** The `webgpu` package's entry (Dawn for Node). */
export interface NodeWebGpu {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

export interface Platform {
  readonly name: "node" | "browser";
  /** An environment variable (`process.env` in Node; never set in a browser). */
  env(name: string): string | undefined;
  /** Sets an environment variable the user has not set (native libraries read some: EGL_PLATFORM). */
  setEnvDefault(name: string, value: string): void;
  /** Turns a stack frame's file (a path, a `file:` or `http:` URL) into what an error message shows. */
  displayPath(file: string): string;
  /** Opens a file by path for positioned reads; throws `PlatformError` where there are no files. */
  openFile(path: string): FileHandle;
  /** A whole text file. */
  readTextFile(path: string): string;
  /**
   * Writes `chunks` to `path` atomically: a temporary file in the same folder, fsync'd, renamed
   * over the target; on failure the temporary file is removed and the target left as it was.
   */
  atomicWrite(path: string, chunks: readonly Uint8Array[]): void;
  /** Dawn for Node (the `webgpu` package), or undefined where it is not available. */
  loadWebGpu(): Promise<NodeWebGpu | undefined>;
  /**
   * Where measured kernel choices are remembered (`runtime/webgpu/tuning.ts`): a JSON file in
   * Node (`$WGTENSOR_CACHE_DIR`, else `$XDG_CACHE_HOME/wgtensor` or `~/.cache/wgtensor`; off under
   * vitest unless `WGTENSOR_CACHE_DIR` is set, and with `WGTENSOR_CACHE_DIR=off`), IndexedDB in a
   * browser, memory where neither is available. Read when called: a changed env var is seen.
   */
  tuningCache(): TuningCache;
  /**
   * Blocks the calling thread for `ms` milliseconds without using the CPU (`Atomics.wait` in
   * Node), or undefined where a thread may not block (a browser's main thread).
   */
  readonly sleepSync?: (ms: number) => void;
  /** Runs `f` after the current event loop turn's I/O (`setImmediate` in Node). */
  readonly setImmediate?: (f: () => void) => void;
}

/**
 * A small persistent map from a key (an adapter's identity) to a JSON value (what was measured
 * on it). The platform knows nothing of what is stored: the runtime validates every value it
 * reads. Never throws for a missing, corrupt or foreign store (it is read as empty, with one
 * warning); a store that cannot be written warns and keeps the value for this process only.
 * Bounded: at most `MAX_TUNING_ENTRIES` keys, the least recently written dropped first.
 */
export interface TuningCache {
  /** Where it lives, for messages: a file path, "IndexedDB wgtensor/tuning", "memory". */
  readonly location: string;
  /** Whether values outlive the process. */
  readonly persistent: boolean;
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  /** Every key and value (for `wgtensor tune --show`). */
  entries(): Promise<ReadonlyArray<readonly [string, unknown]>>;
  /** Forget everything. */
  clear(): Promise<void>;
}

/** How many adapters' entries a tuning cache keeps (a machine has a few; a file stays small). */
export const MAX_TUNING_ENTRIES = 16;

/** A tuning cache in memory only (a browser without IndexedDB, caching switched off). */
export function memoryTuningCache(location = "memory"): TuningCache {
  const map = new Map<string, unknown>();
  return {
    location,
    persistent: false,
    get: async (key) => map.get(key),
    async put(key, value) {
      map.delete(key);
      map.set(key, value);
      while (map.size > MAX_TUNING_ENTRIES) map.delete(map.keys().next().value as string);
    },
    entries: async () => [...map],
    clear: async () => map.clear(),
  };
}

/** A capability this platform does not have (files in a browser). */
export class PlatformError extends Error {
  override name = "PlatformError";
}
