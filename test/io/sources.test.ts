/**
 * Weight sources: the same checkpoint from a path, bytes (Uint8Array, ArrayBuffer), a Blob/File,
 * a file: URL and an http: URL (a loopback server) loads to the same parameters, for `.pth` and
 * `.safetensors`; names in messages follow the source; the format comes from the name or, for
 * bytes, from the first bytes.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStateDict, sourceName, WeightFileError } from "../../src/runtime/io/index.js";
import { fromOfficialArgs, loadWeights, flatFromTree, WeightError } from "../../src/models/uniformerv2/index.js";
import { data } from "../../src/dsl/realize.js";
import { serveStatic, type StaticServer } from "../browser/chromium.js";

const dir = new URL("../fixtures/uniformerv2/A/", import.meta.url).pathname;
const config = fromOfficialArgs((JSON.parse(readFileSync(`${dir}config.json`, "utf8")) as { constructor_args: Parameters<typeof fromOfficialArgs>[0] }).constructor_args);

function same(a: Awaited<ReturnType<typeof loadWeights>>, b: Awaited<ReturnType<typeof loadWeights>>): void {
  const fa = flatFromTree(a.params);
  const fb = flatFromTree(b.params);
  expect([...fa.keys()]).toEqual([...fb.keys()]);
  for (const [k, t] of fa) expect(data(fb.get(k)!), k).toEqual(data(t));
}

describe("weights from every kind of source", () => {
  let server: StaticServer;
  beforeAll(async () => {
    server = await serveStatic({ "/": dir });
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each(["weights.pth", "weights.safetensors"])("%s: path, Uint8Array, ArrayBuffer, Blob, File, file: URL and http: URL give the same parameters", async (file) => {
    const path = `${dir}${file}`;
    const bytes = new Uint8Array(readFileSync(path));
    const reference = await loadWeights(config, path);
    const copy = bytes.slice();
    for (const source of [bytes, copy.buffer, new Blob([bytes]), new File([bytes], file), pathToFileURL(path), new URL(`${server.origin}/${file}`), `${server.origin}/${file}`]) {
      same(await loadWeights(config, source), reference);
    }
  });

  it("names sources in messages: a File by its name, bytes by the caller's name or <bytes>, URLs whole", async () => {
    expect(sourceName(new File([new Uint8Array(1)], "mine.pth"))).toBe("mine.pth");
    expect(sourceName(new Uint8Array(1))).toBe("<bytes>");
    const junk = new TextEncoder().encode("definitely not a checkpoint");
    await expect(loadWeights(config, junk)).rejects.toThrow(/^<bytes>: unknown checkpoint format/);
    await expect(loadWeights(config, new File([junk], "upload.bin"))).rejects.toThrow(/^upload\.bin: unknown checkpoint format/);
    await expect(loadWeights(config, junk, { name: "from-the-user" })).rejects.toThrow(/^from-the-user: unknown checkpoint format/);
    await expect(loadWeights(config, `${server.origin}/missing.pth`)).rejects.toThrow(new RegExp(`${server.origin}/missing\\.pth: cannot fetch: HTTP 404`));
    await expect(readStateDict(new Uint8Array(3))).rejects.toBeInstanceOf(WeightFileError);
  });

  it("a checkpoint for another config, given as bytes, names the key and both shapes", async () => {
    const c = new URL("../fixtures/uniformerv2/C/weights.safetensors", import.meta.url).pathname;
    const e = await loadWeights(config, new Uint8Array(readFileSync(c)), { name: "C.safetensors" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WeightError);
    expect(String(e)).toContain(`C.safetensors: "conv1.weight" has shape [64, 3, 1, 16, 16], the config needs [64, 3, 3, 16, 16]`);
  });
});
