/**
 * The layers of src/ (docs/ARCHITECTURE.md), checked by `npm test` (`npm run deps`):
 *   platform, util  →  dsl  →  compiler  →  runtime  →  models  →  train  →  cli
 * A module may import its own layer and the layers left of it, never one to its right.
 * No import cycles, except the documented one: an op file's VJP builds its gradient with the
 * graph builders (dsl/core.ts, dsl/bind.ts), which reach the registry of op files.
 */
const layers = ["platform|util", "dsl", "compiler", "runtime", "models", "train", "cli"];

const layerRules = layers.slice(0, -1).map((layer, i) => ({
  name: `${layer.replace("|", "-")}-below-${layers.slice(i + 1).join("-").replace(/\|/g, "-")}`,
  comment: `src/${layer} is below ${layers.slice(i + 1).join(", ")}: it must not import them`,
  severity: "error",
  from: { path: `^src/(${layer})/` },
  to: { path: `^src/(${layers.slice(i + 1).join("|")})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "no-cycles",
      comment: "an import cycle (other than the op files ↔ graph builders one) tangles the layers",
      severity: "error",
      from: { path: "^src/" },
      to: {
        circular: true,
        // Flagged when some module of the cycle is outside the op files and their builders.
        viaSomeNot: "^src/dsl/(ops/[^/]+|core|bind)\\.ts$",
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^src/",
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { conditionNames: ["import", "node", "default"] },
  },
};
