/**
 * @file Errors raised while tracing. A shape error names the op, the shapes involved and the
 * user's call site, so the message alone says what was wrong and where.
 */
import { userCallSite } from "./site.js";

export class ShapeMismatch extends Error {
  override name = "ShapeMismatch";
  constructor(
    readonly op: string,
    readonly detail: string,
    readonly shapes: readonly (readonly number[])[],
    readonly site: string = userCallSite(),
  ) {
    super(`${op}: ${detail}${shapes.length > 0 ? ` (shapes ${shapes.map(showShape).join(", ")})` : ""} at ${site}`);
  }
}

export class DTypeMismatch extends Error {
  override name = "DTypeMismatch";
  constructor(op: string, detail: string, readonly site: string = userCallSite()) {
    super(`${op}: ${detail} at ${site}`);
  }
}

export function showShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Thrown by shape rules; `bind` turns it into a ShapeMismatch carrying the op and call site. */
export class RuleViolation extends Error {
  override name = "RuleViolation";
}

export function require(condition: boolean, detail: string): asserts condition {
  if (!condition) throw new RuleViolation(detail);
}
