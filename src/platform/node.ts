/** @file The Node implementation of `Platform` (see `types.ts`): `node:fs`, `process`, the `webgpu` package. */
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { FileHandle, NodeWebGpu, Platform } from "./types.js";

export type { FileHandle, NodeWebGpu, Platform } from "./types.js";
export { PlatformError } from "./types.js";

function openFile(path: string): FileHandle {
  const fd = openSync(path, "r");
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  let open = true;
  return {
    size,
    readInto: (into, offset, length, position) => readSync(fd, into, offset, length, position),
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

function atomicWrite(path: string, chunks: readonly Uint8Array[]): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o644);
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already gone */
    }
    throw e;
  }
}

export const platform: Platform = {
  name: "node",
  env: (name) => process.env[name],
  setEnvDefault(name, value) {
    process.env[name] ??= value;
  },
  displayPath(file) {
    const path = file.startsWith("file://") ? fileURLToPath(file) : file;
    return /^[a-z]+:\/\//i.test(path) ? path : relative(process.cwd(), path);
  },
  openFile,
  readTextFile: (path) => readFileSync(path, "utf8"),
  atomicWrite,
  async loadWebGpu() {
    try {
      const mod = (await import("webgpu")) as NodeWebGpu;
      Object.assign(globalThis, mod.globals);
      return mod;
    } catch {
      return undefined;
    }
  },
};
