/**
 * @file Finds the user's call site for error messages: the first stack frame that is not
 * inside wgtensor's own sources. Only computed when an error is raised, so tracing stays cheap.
 */
import { fileURLToPath } from "node:url";
import path from "node:path";

const srcRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function userCallSite(): string {
  const stack = new Error().stack?.split("\n").slice(1) ?? [];
  for (const line of stack) {
    const match = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!match) continue;
    let file = match[1] ?? "";
    if (file.startsWith("file://")) file = fileURLToPath(file);
    if (file.startsWith("node:") || file.includes("node_modules")) continue;
    if (path.resolve(file).startsWith(srcRoot + path.sep)) continue;
    return `${path.relative(process.cwd(), file)}:${match[2]}:${match[3]}`;
  }
  return "<unknown site>";
}
