#!/usr/bin/env node
/** @file Executable entry of the `wgtensor` CLI: runs `main` and maps errors to exit codes. */
import { main } from "./main.js";

main(process.argv.slice(2)).then(
  (code) => {
    // Dawn keeps the event loop alive while a device exists: leave explicitly.
    process.exit(code);
  },
  (error: unknown) => {
    console.error(`wgtensor: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
