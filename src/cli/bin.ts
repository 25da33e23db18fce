#!/usr/bin/env node
/** @file Executable entry of the `wgtensor` CLI: runs `main` and maps errors to exit codes (2: a bad command line). */
import { main } from "./main.js";
import { UsageError } from "./options.js";

main(process.argv.slice(2)).then(
  (code) => {
    // Dawn keeps the event loop alive while a device exists: leave explicitly.
    process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`wgtensor ${error.command}: ${error.problem}\n\n${error.usage}`);
      process.exit(2);
    }
    console.error(`wgtensor: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
