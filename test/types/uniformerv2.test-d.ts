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

// ---------------------------------------------------------------- the model, typed by its config

import { Key } from "../../src/dsl/random/threefry.js";
import type { Tensor } from "../../src/dsl/tensor.js";
import { initParams, perFrameLogits, preset, uniformerv2, type UniFormerV2Config, type UniFormerV2Params } from "../../src/models/uniformerv2/index.js";

const key = Key.fromSeed(0);

test("params are typed by a preset: every size from the config", () => {
  const p = initParams(base, key);
  expectTypeOf(p.conv1.weight).toEqualTypeOf<Tensor<[768, 1, 16, 16, 3]>>();
  expectTypeOf(p.positional_embedding).toEqualTypeOf<Tensor<[197, 768]>>();
  expectTypeOf(p.transformer.resblocks[0]!.attn.in_proj_weight).toEqualTypeOf<Tensor<[2304, 768]>>();
  expectTypeOf(p.transformer.resblocks[0]!.mlp.c_fc.weight).toEqualTypeOf<Tensor<[3072, 768]>>();
  expectTypeOf(p.transformer.resblocks[0]!.lmhra1!.pos_embed[1].weight).toEqualTypeOf<Tensor<[512, 1, 1, 1, 768]>>();
  expectTypeOf(p.transformer.resblocks[0]!.lmhra1!.pos_embed[2].weight).toEqualTypeOf<Tensor<[512, 3, 1, 1, 1]>>();
  expectTypeOf(p.transformer.dec[0]!.mlp.c_fc.weight).toEqualTypeOf<Tensor<[3072, 768]>>();
  expectTypeOf(p.transformer.proj[2].weight).toEqualTypeOf<Tensor<[400, 768]>>();
  const ssv2 = initParams(PRESETS["b16-ssv2"], key);
  expectTypeOf(ssv2.conv1.weight).toEqualTypeOf<Tensor<[768, 3, 16, 16, 3]>>();
  expectTypeOf(ssv2.transformer.proj[2].weight).toEqualTypeOf<Tensor<[174, 768]>>();
  expectTypeOf(preset("l14-336-k400").inputResolution).toEqualTypeOf<336>();
  expectTypeOf(initParams(preset("l14-336-k400"), key).positional_embedding).toEqualTypeOf<Tensor<[577, 1024]>>();
});

test("params are typed by defineConfig, fractional dwReduction and mlpFactor included", () => {
  const c = defineConfig({ ...base, inputResolution: 32, patchSize: 8, width: 36, heads: 3, globalDim: 36, globalHeads: 3, layers: 2, returnList: [0, 1], mlpDropout: [0, 0], numClasses: 5, dwReduction: 2.5, mlpFactor: 1.5, frames: 4 });
  const p = initParams(c, key);
  expectTypeOf(p.positional_embedding).toEqualTypeOf<Tensor<[17, 36]>>();
  expectTypeOf(p.transformer.resblocks[0]!.lmhra1!.pos_embed[3].weight).toEqualTypeOf<Tensor<[36, 1, 1, 1, 14]>>();
  expectTypeOf(p.transformer.dec[0]!.mlp.c_proj.weight).toEqualTypeOf<Tensor<[36, 54]>>();
  expectTypeOf(p.transformer.fusion_proj!.weight).toEqualTypeOf<Tensor<[36, 72]>>();
  const video = null! as Tensor<["N", 4, 32, 32, 3]>;
  expectTypeOf(uniformerv2(p, video, c).logits).toEqualTypeOf<Tensor<["N", 5]>>();
});

test("the forward pass: logits [N, numClasses] for a literal or a named N", () => {
  const p = initParams(base, key);
  expectTypeOf(uniformerv2(p, null! as Tensor<[2, 8, 224, 224, 3]>, base).logits).toEqualTypeOf<Tensor<[2, 400]>>();
  expectTypeOf(uniformerv2(p, null! as Tensor<["N", 8, 224, 224, 3]>, base).logits).toEqualTypeOf<Tensor<["N", 400]>>();
  expectTypeOf(perFrameLogits(p, null! as Tensor<[3, 8, 224, 224, 3]>, base)).toEqualTypeOf<Tensor<[3, 400]>>();
  // a wide config (read from a file): number dims
  const wide: UniFormerV2Config = base;
  const wideParams: UniFormerV2Params = p; // params of a literal config are params of the wide one
  expectTypeOf(uniformerv2(wideParams, null! as Tensor<[2, 8, 224, 224, 3]>, wide).logits).toEqualTypeOf<Tensor<[2, number]>>();
  expectTypeOf(uniformerv2(initParams(wide, key), null! as Tensor<[2, 16, 336, 336, 3]>, wide).logits).toEqualTypeOf<Tensor<[2, number]>>();
});

test("a video or params that do not fit the config are compile errors", () => {
  const p = initParams(base, key);
  // @ts-expect-error uniformerv2: the video must be [N, 8, 224, 224, 3], got [2, 16, 224, 224, 3]
  uniformerv2(p, null! as Tensor<[2, 16, 224, 224, 3]>, base);
  // @ts-expect-error uniformerv2: the video must be [N, 8, 224, 224, 3], got [2, 8, 256, 256, 3]
  uniformerv2(p, null! as Tensor<[2, 8, 256, 256, 3]>, base);
  // @ts-expect-error uniformerv2: the video must be [N, 8, 224, 224, 3], got [2, 3, 8, 224, 224]
  uniformerv2(p, null! as Tensor<[2, 3, 8, 224, 224]>, base);
  // @ts-expect-error uniformerv2: the video must be float32, got int32
  uniformerv2(p, null! as Tensor<[2, 8, 224, 224, 3], "int32">, base);
  // @ts-expect-error uniformerv2: the params are for another config (numClasses 400, the config has 174)
  uniformerv2(p, null! as Tensor<[2, 8, 224, 224, 3]>, { ...base, numClasses: 174 });
  const l14 = initParams(PRESETS["l14-k400"], key);
  // @ts-expect-error uniformerv2: the params are for another config (width 1024, the config has 768) …
  uniformerv2(l14, null! as Tensor<[2, 8, 224, 224, 3]>, base);
  // @ts-expect-error uniformerv2: the params are for another config (numClasses 400, the config has 174)
  perFrameLogits(p, null! as Tensor<[2, 16, 224, 224, 3]>, PRESETS["b16-ssv2"]);
  expectTypeOf<import("../../src/models/uniformerv2/model.js").VideoRule<[2, 16, 224, 224, 3], "float32", typeof base>>().toEqualTypeOf<
    import("../../src/dsl/types/shape.js").ShapeError<"uniformerv2: the video must be [N, 8, 224, 224, 3], got [2, 16, 224, 224, 3]">
  >();
  expectTypeOf<import("../../src/models/uniformerv2/model.js").ParamsRule<typeof p, Omit<typeof base, "numClasses"> & { readonly numClasses: 174 }>>().toEqualTypeOf<
    import("../../src/dsl/types/shape.js").ShapeError<"uniformerv2: the params are for another config (numClasses 400, the config has 174)">
  >();
});

test("defineConfig problems read first", () => {
  // @ts-expect-error defineConfig: globalHeads 5 do not divide globalDim 768
  defineConfig({ ...base, globalHeads: 5 });
  // @ts-expect-error defineConfig: inputResolution 100 is not divisible by patchSize 16
  defineConfig({ ...base, inputResolution: 100 });
});
