#!/usr/bin/env node
// What type-checking costs (`npm run bench:types`): tsc --extendedDiagnostics under tsc 5.9 and
// TypeScript 7 for the whole project, for a file that only imports the package (the baseline),
// and for a file that types a UniFormerV2 B/16 forward; the model's cost is the difference.
// Each figure is the best of `--runs` (default 3): these machines are noisy.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const runs = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice("--runs=".length) ?? 3);
const compilers = { "tsc 5.9": "node_modules/typescript/bin/tsc", "TypeScript 7": "node_modules/typescript7/bin/tsc" };
const projects = {
  "whole project": "tsconfig.json",
  "baseline (import only)": "bench/types/tsconfig.baseline.json",
  "B/16 forward": "bench/types/tsconfig.b16.json",
};

function measure(tsc, project) {
  const out = spawnSync(process.execPath, [path.join(root, tsc), "-p", path.join(root, project), "--noEmit", "--extendedDiagnostics"], { cwd: root, encoding: "utf8" });
  const field = (name) => {
    const m = new RegExp(`^${name}:\\s+([\\d.]+)`, "m").exec(out.stdout);
    return m ? Number(m[1]) : NaN;
  };
  const errors = out.stdout.split("\n").filter((l) => / error TS\d+/.test(l));
  if (errors.length > 0) throw new Error(`${tsc} -p ${project} reported errors:\n${errors.slice(0, 5).join("\n")}`);
  return { check: field("Check time"), total: field("Total time"), instantiations: field("Instantiations"), types: field("Types") };
}

const best = (tsc, project) => {
  const all = Array.from({ length: runs }, () => measure(tsc, project));
  return { check: Math.min(...all.map((r) => r.check)), total: Math.min(...all.map((r) => r.total)), instantiations: all[0].instantiations, types: all[0].types };
};

for (const [name, tsc] of Object.entries(compilers)) {
  console.log(`\n${name} (best of ${runs})`);
  const rows = Object.fromEntries(Object.entries(projects).map(([label, project]) => [label, best(tsc, project)]));
  for (const [label, r] of Object.entries(rows)) {
    console.log(`  ${label.padEnd(24)} check ${r.check.toFixed(2)} s  total ${r.total.toFixed(2)} s  instantiations ${r.instantiations}  types ${r.types}`);
  }
  const base = rows["baseline (import only)"];
  const model = rows["B/16 forward"];
  console.log(`  the B/16 forward adds   check ${(model.check - base.check).toFixed(2)} s, ${model.instantiations - base.instantiations} instantiations, ${model.types - base.types} types`);
}
