/**
 * @file Compile errors read well under both compilers the project supports: for every wrong
 * program in messages/wrong.ts, tsc 5.9 and TypeScript 7 report one diagnostic whose first line
 * carries the shape message (not a field name such as `__shapeError`), and the lines that use
 * a refused op's result add no further errors.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const fixture = path.join(root, "test/types/messages/wrong.ts");
const compilers = {
  "tsc 5.9": path.join(root, "node_modules/typescript/bin/tsc"),
  "TypeScript 7": path.join(root, "node_modules/typescript7/bin/tsc"),
};

/** `// message: …` lines: the 1-based line of the statement below each, and its message. */
function expectations(): { line: number; message: string }[] {
  return readFileSync(fixture, "utf8")
    .split("\n")
    .flatMap((text, i) => {
      const m = /^\s*\/\/ message: (.+)$/.exec(text);
      return m ? [{ line: i + 2, message: m[1]! }] : [];
    });
}

/** The fixture's diagnostics: line → the diagnostic's first line. */
function diagnostics(tsc: string): Map<number, string> {
  const run = spawnSync(process.execPath, [tsc, "-p", path.join(root, "test/types/messages/tsconfig.json"), "--pretty", "false"], { encoding: "utf8", cwd: root });
  const out = new Map<number, string>();
  for (const line of run.stdout.split("\n")) {
    const m = /^(.+?)\((\d+),\d+\): error (TS\d+: .*)$/.exec(line);
    if (m && path.resolve(root, m[1]!) === fixture) out.set(Number(m[2]), m[3]!);
  }
  return out;
}

describe.each(Object.entries(compilers))("%s", (_name, tsc) => {
  const found = diagnostics(tsc);
  const wanted = expectations();
  it.each(wanted)("line $line says: $message", ({ line, message }) => {
    const first = found.get(line);
    expect(first, `no error at line ${line}`).toBeDefined();
    expect(first).toContain(message);
    expect(first).not.toContain("__shapeError");
  });
  it("reports nothing else (no cascades)", () => {
    expect([...found.keys()].sort((a, b) => a - b)).toEqual(wanted.map((w) => w.line));
  });
});
