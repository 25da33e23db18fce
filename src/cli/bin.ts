#!/usr/bin/env node
/** @file Executable entry of the `wgtensor` CLI: runs `main` and maps errors to exit codes. */
import { main } from "./main.js";

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(`wgtensor: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
