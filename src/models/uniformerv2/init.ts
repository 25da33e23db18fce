/**
 * @file Fresh parameters for a config, from a PRNG key: the official initialisation where it
 * matters (zero-initialised last LT-MHRA conv, temporal query, balance, DPE bias; LayerNorm at
 * identity) and scaled normals elsewhere. Each parameter draws from the key folded with its
 * index, so one parameter's values do not depend on the others. The draws use a fast host
 * generator seeded by that key (a B/16 has 114 M parameters; the counter-based `random`
 * primitive is for values a compiled program must reproduce, not for one-off initialisation).
 */
import * as core from "../../dsl/core.js";
import type { AnyTensor } from "../../dsl/tensor.js";
import type { Key } from "../../dsl/random/threefry.js";
import { validateConfig, type UniFormerV2Config } from "./config.js";
import { paramSpecs, treeFromFlat, type UniFormerV2Params } from "./params.js";
import { mulberry32 } from "../../dsl/random/mulberry32.js";

/** Fresh parameters for `config`, typed by it (a literal config gives literal sizes). */
export function initParams<const C extends UniFormerV2Config>(config: C, key: Key): UniFormerV2Params<C> {
  validateConfig(config);
  const entries = new Map<string, AnyTensor>();
  paramSpecs(config).forEach((spec, i) => {
    const shape = spec.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    let t: AnyTensor;
    switch (spec.init.kind) {
      case "zeros":
      case "ones":
        t = core.constant(new Float32Array(size).fill(spec.init.kind === "ones" ? 1 : 0), shape, "float32");
        break;
      case "normal": {
        const next = mulberry32(key.foldIn(i).k0 ^ key.foldIn(i).k1);
        const data = new Float32Array(size);
        for (let j = 0; j < size; j += 2) {
          // Box–Muller: two independent standard normals from two uniforms.
          const r = Math.sqrt(-2 * Math.log(1 - next()));
          const theta = 2 * Math.PI * next();
          data[j] = r * Math.cos(theta) * spec.init.std;
          if (j + 1 < size) data[j + 1] = r * Math.sin(theta) * spec.init.std;
        }
        t = core.constant(data, shape, "float32");
        break;
      }
      case "uniform": {
        const next = mulberry32(key.foldIn(i).k0 ^ key.foldIn(i).k1);
        const { lo, hi } = spec.init;
        const data = Float32Array.from({ length: size }, () => lo + (hi - lo) * next());
        t = core.constant(data, shape, "float32");
        break;
      }
    }
    entries.set(spec.key, t);
  });
  return treeFromFlat(entries, config);
}
