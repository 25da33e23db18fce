import * as wg from "../src/index.js";
import * as c from "../src/dsl/core.js";
import * as nn from "../src/dsl/nn/index.js";
import { compileGraph } from "../src/compiler/compile.js";
const C = 64, H = 4, L = 10, B = 2;
const key = wg.Key.fromSeed(0);
const ks = key.split(8);
const P = {
  ln1: { weight: wg.normal(ks[0]!, [C]), bias: wg.normal(ks[1]!, [C]) },
  attn: { inProjWeight: wg.normal(ks[2]!, [3 * C, C], 0.1), inProjBias: wg.normal(ks[3]!, [3 * C]), outProj: { weight: wg.normal(ks[4]!, [C, C], 0.1), bias: wg.normal(ks[5]!, [C]) } },
  ln2: { weight: wg.normal(ks[6]!, [C]), bias: wg.normal(ks[7]!, [C]) },
  fc1: nn.initLinear(ks[0]!, C, 4 * C), fc2: nn.initLinear(ks[1]!, 4 * C, C),
};
export const block = (x: wg.AnyTensor) => {
  const h = c.add(x, nn.selfAttention(nn.layerNorm(x, P.ln1), P.attn, { numHeads: H }));
  return c.add(h, nn.linear(nn.quickGelu(nn.linear(nn.layerNorm(h, P.ln2), P.fc1)), P.fc2));
};
const p = wg.trace(block, [wg.spec([B, L, C])]);
const g = compileGraph(p.outputs, { maxStorageBuffers: 16 });
console.log(g.kernels.length, g.kernels.map((k) => k.name).join(" "));
if (process.argv[2]) for (const k of g.kernels) console.log(k.wgsl.split("\n").slice(0, 2).join("\n"));
