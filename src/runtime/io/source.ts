/**
 * @file Random-access byte sources for the weight readers (a file read by position, so a
 * multi-gigabyte checkpoint is never held whole in memory, or bytes already in memory), and
 * the error every reader throws: `WeightFileError`, whose message starts with the file's name.
 */
import { platform } from "#platform";

/** A malformed or unsupported weight file. The message names the file (and the tensor or zip entry, where one is at fault). */
export class WeightFileError extends Error {
  override name = "WeightFileError";
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor !== undefined ? `tensor ${JSON.stringify(tensor)}: ` : ""}${problem}`);
  }
}

export interface ByteSource {
  /** what errors call it: a path, or the caller's label for in-memory bytes */
  readonly name: string;
  readonly size: number;
  /**
   * `length` bytes at `offset` in a fresh buffer the caller owns (byteOffset 0). Throws a
   * WeightFileError when the range is outside the source.
   */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new WeightFileError(name, `truncated: needs bytes [${offset}, ${offset + length}) but the file has ${size} bytes`);
  }
}

export function memorySource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    read(offset, length) {
      checkRange(name, bytes.byteLength, offset, length);
      const out = new Uint8Array(length);
      out.set(bytes.subarray(offset, offset + length));
      return out;
    },
    close() {},
  };
}

/** A file read by position (pread), so only the parts asked for are loaded. Close it when done. Node only. */
export function fileSource(path: string): ByteSource {
  const file = platform.openFile(path);
  const size = file.size;
  return {
    name: path,
    size,
    read(offset, length) {
      checkRange(path, size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      // readSync reads at most 2 GiB at a time
      while (done < length) {
        const n = file.readInto(out, done, Math.min(length - done, 0x40000000), offset + done);
        if (n === 0) throw new WeightFileError(path, `truncated: the file ended at byte ${offset + done} while reading [${offset}, ${offset + length})`);
        done += n;
      }
      return out;
    },
    close: () => file.close(),
  };
}

/** Run `body` with a source over the file at `path`, closing it afterwards. */
export function withFile<T>(path: string, body: (src: ByteSource) => T): T {
  const src = fileSource(path);
  try {
    return body(src);
  } finally {
    src.close();
  }
}
