import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // The package's `imports` map points `#platform` at the built files; tests run the sources.
    alias: { "#platform": fileURLToPath(new URL("./src/platform/node.ts", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts"],
    typecheck: {
      enabled: true,
      include: ["test/**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
    },
    testTimeout: 60_000,
  },
});
