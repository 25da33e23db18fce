/**
 * @file The registry: every primitive's OpDef, keyed by name. Typed as a total map, so a
 * primitive without a definition (or a definition missing a part) does not compile.
 * Built on first use, which keeps the import cycle ops → core → bind → registry harmless.
 */
import type { OpDef, Registry } from "./def.js";
import type { OpName } from "./params.js";
import * as defs from "./all.js";

let table: Registry | undefined;

export function registry(): Registry {
  table ??= {
    constant: defs.constant,
    input: defs.input,
    full: defs.full,
    iota: defs.iota,
    random: defs.random,
    neg: defs.neg,
    exp: defs.exp,
    log: defs.log,
    sin: defs.sin,
    cos: defs.cos,
    sqrt: defs.sqrt,
    recip: defs.recip,
    tanh: defs.tanh,
    erf: defs.erf,
    add: defs.add,
    sub: defs.sub,
    mul: defs.mul,
    div: defs.div,
    max: defs.max,
    pow: defs.pow,
    cmplt: defs.cmplt,
    cmpeq: defs.cmpeq,
    where: defs.where,
    cast: defs.cast,
    reduceSum: defs.reduceSum,
    reduceMax: defs.reduceMax,
    reshape: defs.reshape,
    permute: defs.permute,
    expand: defs.expand,
    slice: defs.slice,
    pad: defs.pad,
    flip: defs.flip,
    concat: defs.concat,
    barrier: defs.barrier,
    dot: defs.dot,
    conv: defs.conv,
  };
  return table;
}

export function opDef<K extends OpName>(op: K): OpDef<K> {
  return registry()[op] as OpDef<K>;
}
