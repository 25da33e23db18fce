/**
 * @file Finds the user's call site for error messages: the first stack frame that is not
 * inside wgtensor's own sources. Only computed when an error is raised, so tracing stays cheap.
 * Stack frames name files as paths (Node), `file:` URLs (Node ESM) or `http(s):` URLs (a
 * browser); wgtensor's own frames are recognised by the folder this module was loaded from.
 */
import { platform } from "#platform";

/** `…/src/dsl/site.ts` → `…/src/`: wgtensor's own frames start with this (bundled: the bundle's URL). */
function ownRoot(): string {
  const here = import.meta.url;
  const dir = here.slice(0, here.lastIndexOf("/"));
  return dir.endsWith("/dsl") ? dir.slice(0, -"dsl".length) : here;
}

/** `file:///a/b.ts` and `/a/b.ts` compare equal; URLs stay URLs. */
function normalize(file: string): string {
  return decodeURIComponent(file.startsWith("file://") ? file.slice("file://".length) : file);
}

export function userCallSite(): string {
  const root = normalize(ownRoot());
  const stack = deepStack().split("\n").slice(1);
  for (const line of stack) {
    // V8: "    at f (file:line:col)" or "    at file:line:col"; Firefox and Safari: "f@file:line:col"
    const match = /^\s*at (?:.*\()?(.+?):(\d+):(\d+)\)?\s*$/.exec(line) ?? /@(.+?):(\d+):(\d+)\s*$/.exec(line);
    if (!match) continue;
    const file = match[1] ?? "";
    if (file.startsWith("node:") || file.includes("node_modules")) continue;
    if (normalize(file.split("?")[0] ?? file).startsWith(root)) continue;
    return `${platform.displayPath(file)}:${match[2]}:${match[3]}`;
  }
  return "<unknown site>";
}

/**
 * The current stack with more frames than V8's default 10, which a check a few helpers deep
 * inside a transform uses up. `stackTraceLimit` is V8's (Node, Chromium); elsewhere the
 * engine's default stands.
 */
function deepStack(): string {
  const limit: unknown = Reflect.get(Error, "stackTraceLimit");
  if (typeof limit === "number") Reflect.set(Error, "stackTraceLimit", 64);
  try {
    return new Error().stack ?? "";
  } finally {
    if (typeof limit === "number") Reflect.set(Error, "stackTraceLimit", limit);
  }
}
