/**
 * Saves (`writeSafetensors`, checkpoints, weights) go through one atomic write: a temporary file
 * next to the target, renamed over it. A symlink stays a link, the target's mode is kept, and
 * temporary files that a killed earlier save left behind are removed by the next save.
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync, chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toFloat32 } from "../../src/runtime/io/host-tensor.js";
import { loadSafetensors, writeSafetensors } from "../../src/runtime/io/safetensors.js";

const dir = mkdtempSync(path.join(tmpdir(), "wgt-save-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tensors = (x: number) => ({ w: { dtype: "float32" as const, shape: [2], data: new Float32Array([x, x + 1]) } });

describe("atomic saves", () => {
  it("keep the target's permission bits (0600 stays 0600)", () => {
    const file = path.join(dir, "private.safetensors");
    writeSafetensors(file, tensors(1));
    chmodSync(file, 0o600);
    writeSafetensors(file, tensors(2));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(toFloat32(loadSafetensors(file).tensors.get("w")!)).toEqual(new Float32Array([2, 3]));
  });

  it("keep a symlink a link and replace what it points to", () => {
    const real = path.join(dir, "real.safetensors");
    const link = path.join(dir, "link.safetensors");
    writeSafetensors(real, tensors(1));
    symlinkSync(real, link);
    writeSafetensors(link, tensors(5));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(toFloat32(loadSafetensors(real).tensors.get("w")!)).toEqual(new Float32Array([5, 6]));
  });

  it("remove temporary files of dead processes, never a live process's", () => {
    const file = path.join(dir, "model.safetensors");
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout);
    const stale = path.join(dir, `.model.safetensors.${deadPid}.abcdef012345.tmp`);
    const live = path.join(dir, `.model.safetensors.1.abcdef012345.tmp`); // pid 1 is always alive
    writeFileSync(stale, new Uint8Array(1024));
    writeFileSync(live, new Uint8Array(16));
    writeSafetensors(file, tensors(1));
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith(".model.safetensors.") && n !== path.basename(live))).toEqual([]);
  });

  it("a failed save leaves the old file whole and no temporary file", () => {
    const file = path.join(dir, "kept.safetensors");
    writeSafetensors(file, tensors(1));
    const before = readFileSync(file);
    expect(() => writeSafetensors(file, { w: { dtype: "float32", shape: [3], data: new Float32Array(2) } })).toThrow();
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith(".kept."))).toEqual([]);
  });
});
