/**
 * The package as a user gets it: `npm pack`, the tarball unpacked into a scratch project's
 * node_modules (its dependencies linked from ours, so no network), then
 *   - `import * as wg from "wgtensor"` bundled for the browser by esbuild with nothing but the
 *     bundler: no shims, no externals, no plugin, and no Node module or Dawn in the bundle;
 *   - the same import run by Node, where the `node` condition picks the Node platform;
 *   - a TypeScript user's program type-checked under `strict` with no settings beyond the usual
 *     (the declarations bring their own WebGPU types), by tsc 5.9 and TypeScript 7, with the
 *     typed program of consumer-types.ts (named dims, nn layers, UniFormerV2 from its config).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };

describe("the packed package, as a consumer installs it", () => {
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "wgt-consumer-"));
    // `npm pack` runs `prepare` (tsc → dist), so the tarball holds what `npm publish` would.
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const tarball = path.join(scratch, (JSON.parse(out.slice(out.indexOf("["))) as { filename: string }[])[0]!.filename);
    const pkg = path.join(scratch, "node_modules", "wgtensor");
    mkdirSync(pkg, { recursive: true });
    execFileSync("tar", ["-xzf", tarball, "-C", pkg, "--strip-components=1"]);
    for (const dep of Object.keys(manifest.dependencies)) {
      const target = path.join(scratch, "node_modules", dep);
      mkdirSync(path.dirname(target), { recursive: true });
      symlinkSync(path.join(root, "node_modules", dep), target, "dir");
    }
    writeFileSync(path.join(scratch, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    writeFileSync(
      path.join(scratch, "main.js"),
      [
        `import * as wg from "wgtensor";`,
        `const f = wg.jit((a, b) => wg.add(wg.matmul(a, b), 1));`,
        `const y = f(wg.tensor([1, 2, 3, 4], [2, 2]), wg.tensor([1, 0, 0, 1], [2, 2]));`,
        `let site = "";`,
        `try { wg.matmul(wg.tensor([1, 2, 3], [1, 3]), wg.tensor([1, 2], [1, 2])); } catch (e) { site = e.message; }`,
        `console.log(JSON.stringify({ y: Array.from(wg.data(y)), io: typeof wg.io.readSafetensors, site }));`,
      ].join("\n"),
    );
  }, 240_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("ships dist, the platform modules, the LICENSE and no test files", () => {
    const pkg = path.join(scratch, "node_modules", "wgtensor");
    expect(readFileSync(path.join(pkg, "LICENSE"), "utf8")).toMatch(/^MIT License/);
    expect(existsSync(path.join(pkg, "dist", "index.js"))).toBe(true);
    expect(existsSync(path.join(pkg, "dist", "platform", "browser.js"))).toBe(true);
    expect(existsSync(path.join(pkg, "dist", "platform", "node.js"))).toBe(true);
    expect(readdirSync(pkg)).not.toContain("test");
  });

  it("bundles for the browser with esbuild alone, without Node modules or Dawn", async () => {
    const outfile = path.join(scratch, "bundle.js");
    const result = await build({ absWorkingDir: scratch, entryPoints: ["main.js"], bundle: true, platform: "browser", format: "esm", minify: true, outfile, logLevel: "silent", metafile: true });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => /node_modules\/webgpu\/|platform\/node\.js|^node:/.test(i))).toEqual([]);
    expect(inputs.some((i) => i.endsWith("platform/browser.js"))).toBe(true);
    const code = readFileSync(outfile);
    expect(code.toString("utf8")).not.toMatch(/from\s*"node:|require\("node:/);
    // For the README: the size of everything (the library is tree-shaken only by what main.js uses).
    const sizes = { minified: code.byteLength, gzipped: gzipSync(code).byteLength };
    mkdirSync(path.join(root, ".artifacts"), { recursive: true });
    writeFileSync(path.join(root, ".artifacts", "bundle-size.json"), JSON.stringify(sizes));
  }, 60_000);

  it.each([
    ["tsc 5.9", "typescript"],
    ["TypeScript 7", "typescript7"],
  ])("type-checks for a strict TypeScript consumer under %s, and rejects wrong shapes there", (_name, compiler) => {
    writeFileSync(
      path.join(scratch, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, skipLibCheck: false }, include: ["app.ts", "typed.ts"] }),
    );
    // Named dims, float32 by default, typed nn layers and a UniFormerV2 typed from its config.
    writeFileSync(path.join(scratch, "typed.ts"), readFileSync(path.join(root, "test", "package", "consumer-types.ts")));
    writeFileSync(
      path.join(scratch, "app.ts"),
      [
        `import * as wg from "wgtensor";`,
        `const x = wg.tensor([1, 2, 3, 4, 5, 6], [2, 3]);`,
        `const w = wg.normal(wg.Key.fromSeed(0), [3, 4]);`,
        `const y: wg.Tensor<[2, 4], "float32"> = wg.matmul(x, w);`,
        `export const run = async (bytes: Uint8Array) => {`,
        `  const file = wg.io.readSafetensors(bytes);`,
        `  const ctx: wg.GpuContext = await wg.gpu();`,
        `  return [file.tensors.size, ctx.info.software, wg.data(y).length];`,
        `};`,
        `// @ts-expect-error inner dims 3 and 2 differ`,
        `wg.matmul(x, x);`,
      ].join("\n"),
    );
    const tsc = path.join(root, "node_modules", compiler, "bin", "tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", "."], { cwd: scratch, encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 120_000);

  it("runs in Node from the tarball (the node condition: files, Dawn)", () => {
    const out = execFileSync(process.execPath, ["main.js"], { cwd: scratch, encoding: "utf8" });
    const result = JSON.parse(out.trim().split("\n").pop()!) as { y: number[]; io: string; site: string };
    expect(result.y).toEqual([2, 3, 4, 5]);
    expect(result.io).toBe("function");
    expect(result.site).toMatch(/at main\.js:5:\d+$/);
  }, 60_000);
});

