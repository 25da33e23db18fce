/** @file The Node implementation of `Platform` (see `types.ts`): `node:fs`, `process`, the `webgpu` package. */
import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_TUNING_ENTRIES, memoryTuningCache, type FileHandle, type NodeWebGpu, type Platform, type TuningCache } from "./types.js";

export type { FileHandle, NodeWebGpu, Platform, TuningCache } from "./types.js";
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

// ---------------------------------------------------------------- the tuning cache file

/** The cache file's name inside the cache folder, and the `format` field that says it is one. */
export const TUNING_FILE = "tuning.json";
const TUNING_FORMAT = "wgtensor-tuning-cache";
/** A file bigger than this is not ours (16 entries of a few KiB each): ignored, then replaced. */
const MAX_TUNING_FILE_BYTES = 1 << 20;

/**
 * The folder of wgtensor's cache: `WGTENSOR_CACHE_DIR` (`off`, `none`, `0` or `false`: no
 * cache), else none under vitest (tests never read or write the user's cache; a test that wants
 * one sets `WGTENSOR_CACHE_DIR`), else `$XDG_CACHE_HOME/wgtensor`, `%LOCALAPPDATA%\wgtensor`
 * on Windows, `~/Library/Caches/wgtensor` on macOS, `~/.cache/wgtensor`.
 */
export function cacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const forced = env.WGTENSOR_CACHE_DIR;
  if (forced !== undefined && forced !== "") return /^(off|none|0|false)$/i.test(forced) ? undefined : forced;
  if (env.VITEST) return undefined;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "wgtensor");
  if (process.platform === "win32" && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, "wgtensor");
  if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "wgtensor");
  return join(homedir(), ".cache", "wgtensor");
}

interface TuningEntry {
  readonly key: string;
  readonly value: unknown;
  /** Date.now() when written: the oldest entries go first past `MAX_TUNING_ENTRIES`. */
  readonly written: number;
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`wgtensor: ${message}`);
}

/** The file's entries; a missing file is empty, an unreadable, corrupt or foreign one is empty with a warning. */
function readTuningFile(path: string): TuningEntry[] {
  let text: string;
  try {
    if (statSync(path).size > MAX_TUNING_FILE_BYTES) {
      warnOnce(`${path}: larger than ${MAX_TUNING_FILE_BYTES} bytes, not a tuning cache; ignored (wgtensor tune rewrites it)`);
      return [];
    }
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") warnOnce(`${path}: cannot read the tuning cache (${(e as Error).message}); tuning choices are not remembered`);
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    warnOnce(`${path}: not JSON, ignored (the table's tilings are used; wgtensor tune rewrites it)`);
    return [];
  }
  const file = parsed as { format?: unknown; entries?: unknown };
  if (typeof parsed !== "object" || parsed === null || file.format !== TUNING_FORMAT || !Array.isArray(file.entries)) {
    warnOnce(`${path}: not a wgtensor tuning cache (no "format": "${TUNING_FORMAT}"), ignored`);
    return [];
  }
  return file.entries.filter(
    (e): e is TuningEntry => typeof e === "object" && e !== null && typeof (e as TuningEntry).key === "string" && typeof (e as TuningEntry).written === "number",
  );
}

function writeTuningFile(path: string, entries: readonly TuningEntry[]): void {
  const kept = [...entries].sort((a, b) => a.written - b.written).slice(-MAX_TUNING_ENTRIES);
  const text = `${JSON.stringify({ format: TUNING_FORMAT, entries: kept }, null, 1)}\n`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    atomicWrite(path, [new TextEncoder().encode(text)]);
  } catch (e) {
    warnOnce(`${path}: cannot write the tuning cache (${(e as Error).message}); the choices hold for this process only`);
  }
}

/** Memory-only caches when the file cache is off, one a reason, so a process still remembers. */
const memoryCaches = new Map<string, TuningCache>();

/** The tuning cache of `cacheDir()`'s `tuning.json` (see `Platform.tuningCache`). */
export function fileTuningCache(dir: string | undefined = cacheDir()): TuningCache {
  if (dir === undefined) {
    const location = "memory (file cache off: WGTENSOR_CACHE_DIR=off, or under vitest)";
    let cache = memoryCaches.get(location);
    if (!cache) memoryCaches.set(location, (cache = memoryTuningCache(location)));
    return cache;
  }
  const path = join(dir, TUNING_FILE);
  return {
    location: path,
    persistent: true,
    get: async (key) => readTuningFile(path).find((e) => e.key === key)?.value,
    async put(key, value) {
      const others = readTuningFile(path).filter((e) => e.key !== key);
      writeTuningFile(path, [...others, { key, value, written: Date.now() }]);
    },
    entries: async () => readTuningFile(path).map((e) => [e.key, e.value] as const),
    async clear() {
      rmSync(path, { force: true });
    },
  };
}

/** Never notified: `Atomics.wait` on it only times out. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let canSleep = true;

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
  tuningCache: () => fileTuningCache(),
  sleepSync(ms) {
    if (!canSleep) return;
    try {
      Atomics.wait(sleeper, 0, 0, ms);
    } catch {
      canSleep = false; // a thread that may not block (Electron's renderer): the waits spin, as Dawn's do
    }
  },
  setImmediate: (f) => void setImmediate(f),
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
