/**
 * @file The browser implementation of `Platform` (see `types.ts`): no files (weights come as
 * bytes, a `Blob`/`File` or a URL), no environment, and WebGPU from `navigator.gpu` only.
 */
import { PlatformError, type FileHandle, type Platform } from "./types.js";

export type { FileHandle, NodeWebGpu, Platform } from "./types.js";
export { PlatformError } from "./types.js";

function noFiles(what: string, path: string): never {
  throw new PlatformError(`${path}: ${what} a file by path needs Node; in a browser pass the bytes (Uint8Array, ArrayBuffer, Blob/File) or a URL`);
}

export const platform: Platform = {
  name: "browser",
  env: () => undefined,
  setEnvDefault() {},
  displayPath(file) {
    // Same-origin scripts read best without the origin: "http://localhost:8080/app.js" → "/app.js".
    const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
    return origin && file.startsWith(origin) ? file.slice(origin.length) : file;
  },
  openFile: (path): FileHandle => noFiles("reading", path),
  readTextFile: (path) => noFiles("reading", path),
  atomicWrite: (path) => noFiles("writing", path),
  loadWebGpu: async () => undefined,
};
