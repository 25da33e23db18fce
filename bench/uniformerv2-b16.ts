/** @file UniFormerV2 B/16 (K400 preset, 8×224², random weights) forward on WebGPU: kernel count, compile and run time. `npx tsx bench/uniformerv2-b16.ts [preset]`. */
import * as wg from "../src/index.js";
import { preset, initParams, uniformerv2, type UniFormerV2Params } from "../src/models/uniformerv2/index.js";
const config = preset(process.argv[2] ?? "b16-k400");
let t = performance.now();
const params = initParams(config, wg.Key.fromSeed(0));
console.log("init", ((performance.now() - t) / 1000).toFixed(1), "s");
const video = wg.uniform(wg.Key.fromSeed(1), [1, config.frames, config.inputResolution, config.inputResolution, 3], -1, 1);
const f = wg.gpuJit((p: UniFormerV2Params, v: wg.AnyTensor) => uniformerv2(p, v, config).logits);
t = performance.now();
await f(params, video);
const first = (performance.now() - t) / 1000;
t = performance.now();
const out = await f(params, video);
const second = (performance.now() - t) / 1000;
const prog = await [...f.programs.values()][0]!;
console.log(process.argv[2] ?? "b16-k400", "backend", prog.ctx.info.backend, "kernels", prog.graph.kernels.length, "first (compile+run)", first.toFixed(1), "s, second", second.toFixed(1), "s; logits", out.shape, "device MB", (prog.deviceBytes / 2 ** 20).toFixed(0));
process.exit(0);
