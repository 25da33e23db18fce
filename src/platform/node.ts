/** @file The Node implementation of `Platform` (see `types.ts`): `node:fs`, `process`, the `webgpu` package. */
import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
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

/** Whether process `pid` is alive (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const tempPattern = (base: string) => new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)\\.[0-9a-f]+\\.tmp$`);

/** Remove temporary files that earlier writes of `base` in `dir` left when their process died (SIGKILL, power loss). */
function removeStaleTemps(dir: string, base: string): void {
  const pattern = tempPattern(base);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      /* gone already */
    }
  }
}

/**
 * Write through a temporary file next to the real target and rename it over: readers see the
 * old file or the new one, never half of one. A symlink stays a link (its target is replaced);
 * the target's permission bits are kept (a new file gets 0644 less the umask).
 */
function atomicWrite(path: string, chunks: readonly Uint8Array[]): void {
  let target = path;
  let mode: number | undefined;
  try {
    target = realpathSync(path);
    mode = statSync(target).mode & 0o7777;
  } catch {
    /* a new file */
  }
  const dir = dirname(target);
  const base = basename(target);
  removeStaleTemps(dir, base);
  const tmp = join(dir, `.${base}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o644);
    if (mode !== undefined) fchmodSync(fd, mode);
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
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
