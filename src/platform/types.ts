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
}

/** A capability this platform does not have (files in a browser). */
export class PlatformError extends Error {
  override name = "PlatformError";
}
