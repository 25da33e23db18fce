/**
 * @file The `wgtensor` command line.
 *   wgtensor demo [--steps N] [--seed S]   train the typed demo model on the CPU interpreter
 *   wgtensor ops                           list the primitives and their fusion roles
 */
import { registry } from "../dsl/ops/registry.js";
import { runDemo } from "./demo.js";

const USAGE = `usage: wgtensor <command> [options]

commands:
  demo [--steps N] [--seed S]   train a small typed model (spiral MLP) on the CPU interpreter
  ops                           list the primitives with their fusion roles and arities
  help                          show this text`;

function option(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} needs a non-negative integer, got "${args[i + 1] ?? ""}"`);
  return value;
}

export function main(argv: readonly string[]): number {
  const [command = "help", ...args] = argv;
  switch (command) {
    case "demo":
      runDemo({ steps: option(args, "--steps", 300), seed: option(args, "--seed", 0), log: (l) => console.log(l) });
      return 0;
    case "ops": {
      for (const def of Object.values(registry())) {
        console.log(`${def.name.padEnd(10)} ${def.role.padEnd(12)} arity ${def.arity}`);
      }
      return 0;
    }
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      console.error(`wgtensor: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
