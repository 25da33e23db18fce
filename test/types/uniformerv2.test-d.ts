/** UniFormerV2 configs: invalid literal configs are compile errors naming the problem. */
import { expectTypeOf, test } from "vitest";
import { defineConfig, PRESETS, type ConfigTypeProblem } from "../../src/models/uniformerv2/index.js";

const base = PRESETS["b16-k400"];

test("a released config type-checks", () => {
  const c = defineConfig({ ...base });
  expectTypeOf(c.width).toEqualTypeOf<768>();
  expectTypeOf<ConfigTypeProblem<typeof base>>().toBeNever();
});

test("the types see resolution/patch, heads/width and returnList mistakes", () => {
  // @ts-expect-error inputResolution 225 is not divisible by patchSize 16
  defineConfig({ ...base, inputResolution: 225 });
  // @ts-expect-error heads 7 do not divide width 768
  defineConfig({ ...base, heads: 7 });
  // @ts-expect-error returnList index 12 is past the last layer 12
  defineConfig({ ...base, returnList: [8, 9, 10, 12] });
  expectTypeOf<ConfigTypeProblem<Omit<typeof base, "heads"> & { readonly heads: 7 }>>().toEqualTypeOf<"heads 7 do not divide width 768">();
  expectTypeOf<ConfigTypeProblem<Omit<typeof base, "returnList"> & { readonly returnList: readonly [3, 12] }>>().toEqualTypeOf<"returnList index 12 is past the last layer 12">();
});
