/**
 * @file The browser implementation of `Platform` (see `types.ts`): no files (weights come as
 * bytes, a `Blob`/`File` or a URL), no environment, and WebGPU from `navigator.gpu` only.
 */
import { MAX_TUNING_ENTRIES, memoryTuningCache, PlatformError, type FileHandle, type Platform, type TuningCache } from "./types.js";

export type { FileHandle, NodeWebGpu, Platform, TuningCache } from "./types.js";
export { PlatformError } from "./types.js";

function noFiles(what: string, path: string): never {
  throw new PlatformError(`${path}: ${what} a file by path needs Node; in a browser pass the bytes (Uint8Array, ArrayBuffer, Blob/File) or a URL`);
}

// The IndexedDB surface used here, typed locally: this file also compiles without the DOM lib.
interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
  clear(): IdbRequest<unknown>;
  getAll(): IdbRequest<unknown[]>;
  getAllKeys(): IdbRequest<unknown[]>;
}
interface IdbDatabase {
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: "readonly" | "readwrite"): { objectStore(name: string): IdbStore };
}
interface IdbFactory {
  open(name: string, version: number): IdbRequest<IdbDatabase> & { onupgradeneeded: (() => void) | null };
}

const DB = "wgtensor";
const STORE = "tuning";
const request = <T>(r: IdbRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

let database: Promise<IdbDatabase> | undefined;
function openDatabase(idb: IdbFactory): Promise<IdbDatabase> {
  database ??= new Promise<IdbDatabase>((resolve, reject) => {
    const r = idb.open(DB, 1);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE);
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return database;
}

const fallback = memoryTuningCache("memory (this page has no IndexedDB)");
let idbWarned = false;

/**
 * IndexedDB database "wgtensor", store "tuning" (key → { value, written }); memory only where
 * the page has no IndexedDB (or it refuses: private windows, storage off). Errors never escape.
 */
function idbTuningCache(): TuningCache {
  const idb = (globalThis as { indexedDB?: IdbFactory }).indexedDB;
  if (!idb) return fallback;
  const withStore = async <T>(mode: "readonly" | "readwrite", f: (s: IdbStore) => Promise<T>, otherwise: () => Promise<T>): Promise<T> => {
    try {
      const db = await openDatabase(idb);
      return await f(db.transaction(STORE, mode).objectStore(STORE));
    } catch (e) {
      if (!idbWarned) console.warn(`wgtensor: IndexedDB unavailable for the tuning cache (${String(e)}); kept in memory`);
      idbWarned = true;
      return otherwise();
    }
  };
  const unwrap = (v: unknown) => (typeof v === "object" && v !== null && "value" in v ? (v as { value: unknown }).value : undefined);
  return {
    location: `IndexedDB ${DB}/${STORE}`,
    persistent: true,
    get: (key) => withStore("readonly", async (s) => unwrap(await request(s.get(key))), () => fallback.get(key)),
    put: (key, value) =>
      withStore(
        "readwrite",
        async (s) => {
          await request(s.put({ value, written: Date.now() }, key));
          const keys = (await request(s.getAllKeys())) as string[];
          const rows = (await request(s.getAll())) as { written?: number }[];
          const order = keys.map((k, i) => ({ k, w: rows[i]?.written ?? 0 })).sort((a, b) => a.w - b.w);
          for (const { k } of order.slice(0, Math.max(0, order.length - MAX_TUNING_ENTRIES))) await request(s.delete(k));
        },
        () => fallback.put(key, value),
      ),
    entries: () =>
      withStore(
        "readonly",
        async (s) => {
          const keys = (await request(s.getAllKeys())) as string[];
          const rows = await request(s.getAll());
          return keys.map((k, i) => [k, unwrap(rows[i])] as const);
        },
        () => fallback.entries(),
      ),
    clear: () => withStore("readwrite", async (s) => void (await request(s.clear())), () => fallback.clear()),
  };
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
  tuningCache: idbTuningCache,
};
