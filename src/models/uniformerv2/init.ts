/**
 * @file Fresh parameters for a config, from a PRNG key: the official initialisation where it
 * matters (zero-initialised last LT-MHRA conv, temporal query, balance, DPE bias; LayerNorm at
 * identity) and scaled normals elsewhere. Each parameter draws from the key folded with its
 * index, so one parameter's values do not depend on the others.
 */
import { bind } from "../../dsl/bind.js";
import { normal, uniform } from "../../dsl/api/creation.js";
import { realize } from "../../dsl/realize.js";
import type { AnyTensor } from "../../dsl/tensor.js";
import { fromFlat } from "../../runtime/cpu/array.js";
import type { Key } from "../../runtime/random/threefry.js";
import { validateConfig, type UniFormerV2Config } from "./config.js";
import { paramSpecs, treeFromFlat, type UniFormerV2Params } from "./params.js";

export function initParams(config: UniFormerV2Config, key: Key): UniFormerV2Params {
  validateConfig(config);
  const entries = new Map<string, AnyTensor>();
  paramSpecs(config).forEach((spec, i) => {
    const shape = spec.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    let t: AnyTensor;
    switch (spec.init.kind) {
      case "zeros":
      case "ones":
        t = bind("constant", [], { value: fromFlat(new Float32Array(size).fill(spec.init.kind === "ones" ? 1 : 0), "float32", shape) });
        break;
      case "normal":
        t = bind("constant", [], { value: realize(normal(key.foldIn(i), shape, spec.init.std)) });
        break;
      case "uniform":
        t = bind("constant", [], { value: realize(uniform(key.foldIn(i), shape, spec.init.lo, spec.init.hi)) });
        break;
    }
    entries.set(spec.key, t);
  });
  return treeFromFlat(entries);
}
