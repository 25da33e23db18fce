/**
 * @file A pickle virtual machine for a strict subset of the format: the opcodes `torch.save`
 * (protocol 2) and later protocols' framing emit for containers of numbers, strings and tensors.
 * It executes nothing: a GLOBAL is resolved through the caller's allow-list (anything else is
 * rejected at the GLOBAL, before it could be called), REDUCE / NEWOBJ / BUILD only apply the
 * callables that allow-list returns, persistent ids go to the caller's `persistentLoad`.
 *
 * Values: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number,
 * str → string, list → array, tuple → frozen array, dict / OrderedDict → PyDict (a Map keeping
 * insertion order, with BUILD's attribute state in `attributes`).
 */
import type { HostTensor } from "./host-tensor.js";
import { WeightFileError } from "./source.js";

/** A dict or collections.OrderedDict, in insertion order. BUILD state (e.g. a state_dict's `_metadata`) lands in `attributes`. */
export class PyDict extends Map<PyKey, PyValue> {
  readonly attributes = new Map<string, PyValue>();
  constructor(readonly pyType: "dict" | "collections.OrderedDict" = "dict") {
    super();
  }
}

/** An allow-listed global: a class or function the unpickler may apply (never arbitrary code). */
export interface PyCallable {
  readonly kind: "callable";
  readonly module: string;
  readonly name: string;
  /** REDUCE / NEWOBJ: apply to the argument tuple */
  call?(args: readonly PyValue[]): PyValue;
}

/** Something the caller's hooks create that is not a plain value (e.g. a torch storage reference). */
export interface PyOpaque {
  readonly kind: "opaque";
  readonly type: string;
}

export type PyKey = string | number | bigint | boolean | null | readonly PyValue[];
export type PyValue = null | boolean | number | bigint | string | PyValue[] | PyDict | PyCallable | PyOpaque | HostTensor;

export interface UnpickleHooks {
  /** what errors call the pickle, e.g. "ckpt.pth (archive/data.pkl)" */
  source: string;
  /** resolve `module name`, or return undefined to reject it */
  resolveGlobal(module: string, name: string): PyCallable | undefined;
  /** the allow-list, for the rejection message */
  allowedGlobals: readonly string[];
  persistentLoad?(pid: PyValue): PyValue;
}

/** A pickle the VM refuses; `file` names the pickle (e.g. "ckpt.pth (archive/data.pkl)"), `offset` the opcode's byte. */
export class PickleError extends WeightFileError {
  override name = "PickleError";
  constructor(
    source: string,
    readonly offset: number,
    problem: string,
  ) {
    super(source, `pickle byte ${offset}: ${problem}`);
  }
}

/** Names of every pickle opcode (protocols 0-5), so unsupported ones can be named. */
const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0x28: "MARK", 0x2e: "STOP", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP", 0x46: "FLOAT", 0x49: "INT",
  0x4a: "BININT", 0x4b: "BININT1", 0x4c: "LONG", 0x4d: "BININT2", 0x4e: "NONE", 0x50: "PERSID",
  0x51: "BINPERSID", 0x52: "REDUCE", 0x53: "STRING", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING",
  0x56: "UNICODE", 0x58: "BINUNICODE", 0x61: "APPEND", 0x62: "BUILD", 0x63: "GLOBAL", 0x64: "DICT",
  0x7d: "EMPTY_DICT", 0x65: "APPENDS", 0x67: "GET", 0x68: "BINGET", 0x69: "INST", 0x6a: "LONG_BINGET",
  0x6c: "LIST", 0x5d: "EMPTY_LIST", 0x6f: "OBJ", 0x70: "PUT", 0x71: "BINPUT", 0x72: "LONG_BINPUT",
  0x73: "SETITEM", 0x74: "TUPLE", 0x29: "EMPTY_TUPLE", 0x75: "SETITEMS", 0x47: "BINFLOAT",
  0x80: "PROTO", 0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x85: "TUPLE1", 0x86: "TUPLE2",
  0x87: "TUPLE3", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x8a: "LONG1", 0x8b: "LONG4", 0x42: "BINBYTES",
  0x43: "SHORT_BINBYTES", 0x8c: "SHORT_BINUNICODE", 0x8d: "BINUNICODE8", 0x8e: "BINBYTES8",
  0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET", 0x92: "NEWOBJ_EX", 0x93: "STACK_GLOBAL",
  0x94: "MEMOIZE", 0x95: "FRAME", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
};

type Slot = PyValue;

export interface UnpickleStats {
  opcodes: Map<string, number>;
  globals: Set<string>;
}

/**
 * Run the pickle in `bytes` and return the object STOP leaves. `stats`, when given, counts the
 * opcodes and GLOBALs seen (for diagnostics).
 */
export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks, stats?: UnpickleStats): PyValue {
  const src = hooks.source;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  let pos = 0;
  let opAt = 0;
  let stack: Slot[] = [];
  const metastack: Slot[][] = [];
  const memo = new Map<number, PyValue>();

  const fail = (problem: string): never => {
    throw new PickleError(src, opAt, problem);
  };
  const need = (n: number): void => {
    if (pos + n > bytes.byteLength) fail(`truncated pickle: ${OPCODE_NAMES[bytes[opAt]!] ?? "opcode"} needs ${n} more bytes, ${bytes.byteLength - pos} left`);
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.byteLength)) fail(`length ${v} is larger than the pickle`);
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const str = (n: number): string => {
    const b = take(n);
    try {
      return utf8.decode(b);
    } catch {
      return fail("string is not valid UTF-8");
    }
  };
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) fail("truncated pickle: GLOBAL name has no terminating newline");
    const s = new TextDecoder("latin1").decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const pop = (): Slot => {
    if (stack.length === 0) fail("stack underflow");
    return stack.pop() as Slot;
  };
  const top = (): Slot => {
    if (stack.length === 0) fail("stack underflow");
    return stack[stack.length - 1] as Slot;
  };
  const popMark = (): Slot[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) fail("no MARK on the stack");
    stack = prev as Slot[];
    return items;
  };
  const tuple = (items: Slot[]): PyValue => Object.freeze(items) as PyValue[];
  const int = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const resolve = (module: string, name: string): PyCallable => {
    stats?.globals.add(`${module} ${name}`);
    const g = hooks.resolveGlobal(module, name);
    if (g === undefined) {
      fail(`forbidden GLOBAL '${module} ${name}': only ${hooks.allowedGlobals.map((a) => `'${a}'`).join(", ")} may be loaded`);
    }
    return g as PyCallable;
  };
  const asDict = (x: Slot, op: string): PyDict => {
    if (!(x instanceof PyDict)) fail(`${op} on a ${typeName(x)}, not a dict`);
    return x as PyDict;
  };
  const asList = (x: Slot, op: string): PyValue[] => {
    if (!Array.isArray(x) || Object.isFrozen(x)) fail(`${op} on a ${typeName(x)}, not a list`);
    return x as PyValue[];
  };
  const key = (k: Slot): PyKey => {
    if (k === null || typeof k !== "object" || (Array.isArray(k) && Object.isFrozen(k))) return k as PyKey;
    return fail(`unhashable dict key of type ${typeName(k)}`);
  };
  const apply = (fn: Slot, args: Slot, op: string): PyValue => {
    if (typeof fn !== "object" || fn === null || !("kind" in fn) || fn.kind !== "callable" || fn.call === undefined) {
      fail(`${op} on a ${typeName(fn)}, which is not an allowed callable`);
    }
    if (!Array.isArray(args) || !Object.isFrozen(args)) fail(`${op} argument is a ${typeName(args)}, not a tuple`);
    const f = fn as PyCallable;
    try {
      return f.call!(args as PyValue[]);
    } catch (e) {
      if (e instanceof WeightFileError) throw e;
      return fail(`${f.module}.${f.name}: ${(e as Error).message}`);
    }
  };

  for (;;) {
    opAt = pos;
    if (pos >= bytes.byteLength) fail("truncated pickle: no STOP opcode");
    const op = bytes[pos++]!;
    if (stats) {
      const name = OPCODE_NAMES[op] ?? `0x${op.toString(16)}`;
      stats.opcodes.set(name, (stats.opcodes.get(name) ?? 0) + 1);
    }
    switch (op) {
      case 0x80: {
        // PROTO
        const p = u8();
        if (p < 2 || p > 5) fail(`unsupported pickle protocol ${p}`);
        break;
      }
      case 0x95: // FRAME: an 8-byte length we do not need (the whole pickle is in memory)
        need(8);
        pos += 8;
        break;
      case 0x2e: {
        // STOP
        const result = pop();
        if (metastack.length !== 0) fail("STOP with an unclosed MARK");
        return result;
      }
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict("dict"));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x74: {
        // TUPLE
        const items = popMark();
        stack.push(tuple(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b, c]));
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        asDict(top(), "SETITEM").set(key(k), v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2 !== 0) fail("SETITEMS with an odd number of items");
        const d = asDict(top(), "SETITEMS");
        for (let i = 0; i < items.length; i += 2) d.set(key(items[i]!), items[i + 1]!);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        asList(top(), "APPEND").push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = asList(top(), "APPENDS");
        for (const v of items) list.push(v);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(str(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(str(u64()));
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: {
        // LONG1: n-byte little-endian two's complement
        const b = take(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (b.length > 0 && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(int(v));
        break;
      }
      case 0x47: // BINFLOAT: big-endian double
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: {
        // LONG_BINPUT
        const k = u32();
        memo.set(k, top());
        break;
      }
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo entry ${k} does not exist`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(resolve(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings");
        stack.push(resolve(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(apply(fn, args, "REDUCE"));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); only allow-listed classes
        const args = pop();
        const cls = pop();
        stack.push(apply(cls, args, "NEWOBJ"));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state) / obj.__dict__.update(state)
        const state = pop();
        const obj = top();
        if (!(obj instanceof PyDict)) fail(`BUILD on a ${typeName(obj)} is not supported`);
        const d = obj as PyDict;
        if (state instanceof PyDict) {
          for (const [k, v] of state) {
            if (typeof k !== "string") fail("BUILD state has a non-string attribute name");
            d.attributes.set(k as string, v);
          }
        } else if (state !== null) {
          fail(`BUILD state of type ${typeName(state)} is not supported`);
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (hooks.persistentLoad === undefined) fail("persistent id in a pickle that allows none");
        try {
          stack.push(hooks.persistentLoad!(pid));
        } catch (e) {
          if (e instanceof WeightFileError) throw e;
          fail(`persistent id: ${(e as Error).message}`);
        }
        break;
      }
      default: {
        const name = OPCODE_NAMES[op];
        const ch = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : "";
        fail(name ? `unsupported pickle opcode ${name} (0x${op.toString(16).padStart(2, "0")}${ch})` : `unknown pickle opcode 0x${op.toString(16).padStart(2, "0")}${ch}`);
      }
    }
  }
}

export function typeName(x: unknown): string {
  if (x === null) return "None";
  if (typeof x === "boolean") return "bool";
  if (typeof x === "number" || typeof x === "bigint") return "number";
  if (typeof x === "string") return "str";
  if (Array.isArray(x)) return Object.isFrozen(x) ? "tuple" : "list";
  if (x instanceof PyDict) return x.pyType;
  if (typeof x === "object" && "kind" in x) {
    const o = x as PyCallable | PyOpaque;
    return o.kind === "callable" ? `${o.module}.${o.name}` : o.type;
  }
  if (typeof x === "object" && "dtype" in x) return "tensor";
  return typeof x;
}
