/**
 * @file Hand-written WGSL matmul experiments on lavapipe that shaped kernels/dot.ts (not the
 * compiler): unrolled register tiles (`unrolled:TM:TN:WX:WY:vec4B(t|f):KU:uniformRows(t|f)`)
 * and subgroup-shared A rows (`sg:TM:TN:KU:WX:mfast:chain`). Prints GPU time (median, best),
 * process CPU time and a spot check of the result.
 * Run: WGT_BACKEND=vulkan SIZES=512 npx tsx bench/raw-matmul.ts sg:16:4 unrolled:8:8:8:1:f:1:t
 */
import { gpu } from "../src/runtime/webgpu/device.js";
const ctx = await gpu();
const { device } = ctx;
type Gen = { name: string; wgsl: (M: number, N: number, K: number) => string; groups: (M: number, N: number) => [number, number, number] };
async function prepare(g: Gen, n: number) {
  const M = n, N = n, K = n;
  const A = Float32Array.from({ length: M * K }, () => Math.random() - 0.5);
  const B = Float32Array.from({ length: K * N }, () => Math.random() - 0.5);
  const mk = (d: Float32Array | number) => {
    const size = typeof d === "number" ? d : d.byteLength;
    const b = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    if (typeof d !== "number") device.queue.writeBuffer(b, 0, d);
    return b;
  };
  const ba = mk(A), bb = mk(B), bc = mk(M * N * 4);
  const code = g.wgsl(M, N, K);
  const module = device.createShaderModule({ code });
  const info = await module.getCompilationInfo();
  if (info.messages.some((m) => m.type === "error")) { console.log(code); console.log(info.messages.map((m) => m.lineNum + ": " + m.message)); process.exit(1); }
  const pipe = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
  const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [bc, ba, bb].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const qs = device.createQuerySet({ type: "timestamp", count: 2 });
  const res = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const rd = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const times: number[] = [];
  const cpu: number[] = [];
  const once = async () => {
    const c0 = process.cpuUsage();
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    pass.setPipeline(pipe); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(...g.groups(M, N)); pass.end();
    enc.resolveQuerySet(qs, 0, 2, res, 0); enc.copyBufferToBuffer(res, 0, rd, 0, 16);
    device.queue.submit([enc.finish()]);
    await rd.mapAsync(GPUMapMode.READ);
    const s = new BigInt64Array(rd.getMappedRange().slice(0)); rd.unmap();
    times.push(Number(s[1]! - s[0]!) / 1e6);
    const c1 = process.cpuUsage(c0); cpu.push((c1.user + c1.system) / 1e3);
  };
  await once(); times.length = 0; cpu.length = 0;
  const out = device.createBuffer({ size: M * N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder(); enc.copyBufferToBuffer(bc, 0, out, 0, M * N * 4); device.queue.submit([enc.finish()]);
  await out.mapAsync(GPUMapMode.READ); const C = new Float32Array(out.getMappedRange().slice(0)); out.unmap();
  let err = 0;
  for (let t = 0; t < 300; t++) {
    const i = t < 100 ? M - 1 - (t % 9) : Math.floor(Math.random() * M), j = t < 100 ? N - 1 - (t % 13) : Math.floor(Math.random() * N);
    let s = 0; for (let k = 0; k < K; k++) s += A[i * K + k]! * B[k * N + j]!;
    err = Math.max(err, Math.abs(s - C[i * N + j]!));
  }
  const report = () => {
    const t = [...times].sort((a, b) => a - b);
    const ms = t[Math.floor(t.length / 2)]!;
    const cs = [...cpu].sort((a, b) => a - b); const cm = cs[Math.floor(cs.length / 2)]!;
    console.log(`${g.name.padEnd(34)} n=${n} med ${ms.toFixed(2)} ms ${(2 * n ** 3 / ms / 1e6).toFixed(2)} GFLOP/s  best ${(2 * n ** 3 / t[0]! / 1e6).toFixed(2)} | cpu med ${cm.toFixed(1)} ms ${(2 * n ** 3 / cm / 1e6).toFixed(2)} GF/cpu-s err=${err.toExponential(1)}`);
  };
  return { once, report };
}
const hdr = `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
`;
const hdr4 = `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
`;
// unrolled scalar register tile; each thread TM x TN; workgroup WX x WY
function unrolled(TM: number, TN: number, WX: number, WY: number, vecB = false, ku = 1, uni = false): Gen {
  return {
    name: `unr tm${TM} tn${TN} w${WX}x${WY}${vecB ? " vec4B" : ""} ku${ku}${uni ? " uni" : ""}`,
    groups: (M, N) => [Math.ceil(N / (TN * WX)), Math.ceil(M / (TM * WY)), 1],
    wgsl: (M, N, K) => {
      const L: string[] = [];
      L.push(vecB ? hdr4 : hdr, `@compute @workgroup_size(${WX}, ${WY}, 1)`, `fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {`);
      if (uni) L.push(`let n0 = i32(gid.x) * ${TN}i; let m0 = i32(wid.y) * ${TM}i;`);
      else L.push(`let n0 = i32(gid.x) * ${TN}i; let m0 = i32(gid.y) * ${TM}i;`);
      for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) L.push(`var c${i}_${j} = 0.0f;`);
      for (let i = 0; i < TM; i++) L.push(`let ar${i} = min(m0 + ${i}i, ${M - 1}i) * ${K}i;`);
      L.push(`for (var k = 0i; k < ${K}i; k += ${ku}i) {`);
      for (let u = 0; u < ku; u++) {
        const kk = u ? `k + ${u}i` : "k";
        for (let i = 0; i < TM; i++) L.push(`let a${i}_${u} = a[ar${i} + ${kk}];`);
        if (vecB) for (let j = 0; j < TN / 4; j++) L.push(`let b${j}_${u} = b[((${kk}) * ${N}i + n0) / 4i + ${j}i];`);
        else for (let j = 0; j < TN; j++) L.push(`let b${j}_${u} = b[(${kk}) * ${N}i + min(n0 + ${j}i, ${N - 1}i)];`);
        for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) {
          const bv = vecB ? `b${j >> 2}_${u}[${j & 3}]` : `b${j}_${u}`;
          L.push(`c${i}_${j} = fma(a${i}_${u}, ${bv}, c${i}_${j});`);
        }
      }
      L.push(`}`);
      for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) L.push(`if (m0 + ${i}i < ${M}i && n0 + ${j}i < ${N}i) { out[(m0 + ${i}i) * ${N}i + n0 + ${j}i] = c${i}_${j}; }`);
      L.push(`}`);
      return L.join("\n");
    },
  };
}
// subgroup-shared A: lane l loads rows l, l+8, ...; rows broadcast with subgroupBroadcast. TN columns per lane.
function sg(TM: number, TN: number, ku = 1, WX = 8, mfast = 0, chain = 0): Gen {
  return {
    name: `sg tm${TM} tn${TN} ku${ku} w${WX}${mfast ? " mfast" : ""}${chain ? " chain" : ""}`,
    groups: (M, N) => mfast ? [Math.ceil(M / TM), Math.ceil(N / (TN * WX)), 1] : [Math.ceil(N / (TN * WX)), Math.ceil(M / TM), 1],
    wgsl: (M, N, K) => {
      const L: string[] = ["enable subgroups;", hdr, `@compute @workgroup_size(${WX}, 1, 1)`,
        `fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sid: u32, @builtin(local_invocation_id) lid: vec3u) {`];
      if (mfast) L.push(`let n0 = (i32(wid.y) * ${WX}i + i32(lid.x)) * ${TN}i; let m0 = i32(wid.x) * ${TM}i; let lane = i32(sid);`);
      else L.push(`let n0 = i32(gid.x) * ${TN}i; let m0 = i32(wid.y) * ${TM}i; let lane = i32(sid);`);
      for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) L.push(`var c${i}_${j} = 0.0f;`);
      for (let r = 0; r < TM / 8; r++) L.push(`let ar${r} = min(m0 + lane + ${8 * r}i, ${M - 1}i) * ${K}i;`);
      for (let j = 0; j < TN; j++) L.push(`let bc${j} = min(n0 + ${j}i, ${N - 1}i);`);
      L.push(`for (var k = 0i; k < ${K}i; k += ${ku}i) {`);
      if (chain) {
        for (let u = 0; u < ku; u++) {
          const kk = u ? `k + ${u}i` : "k";
          for (let r = 0; r < TM / 8; r++) L.push(`let av${r}_${u} = a[ar${r} + ${kk}];`);
          for (let j = 0; j < TN; j++) L.push(`let b${j}_${u} = b[(${kk}) * ${N}i + bc${j}];`);
        }
        for (let i = 0; i < TM; i++) {
          for (let u = 0; u < ku; u++) L.push(`let a${i}_${u} = subgroupBroadcast(av${i >> 3}_${u}, ${i & 7}u);`);
          for (let j = 0; j < TN; j++) {
            let e = `c${i}_${j}`;
            for (let u = 0; u < ku; u++) e = `fma(a${i}_${u}, b${j}_${u}, ${e})`;
            L.push(`c${i}_${j} = ${e};`);
          }
        }
      } else
      for (let u = 0; u < ku; u++) {
        const kk = u ? `k + ${u}i` : "k";
        for (let r = 0; r < TM / 8; r++) L.push(`let av${r}_${u} = a[ar${r} + ${kk}];`);
        for (let j = 0; j < TN; j++) L.push(`let b${j}_${u} = b[(${kk}) * ${N}i + bc${j}];`);
        for (let i = 0; i < TM; i++) {
          L.push(`let a${i}_${u} = subgroupBroadcast(av${i >> 3}_${u}, ${i & 7}u);`);
          for (let j = 0; j < TN; j++) L.push(`c${i}_${j} = fma(a${i}_${u}, b${j}_${u}, c${i}_${j});`);
        }
      }
      L.push(`}`);
      for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) L.push(`if (m0 + ${i}i < ${M}i && n0 + ${j}i < ${N}i) { out[(m0 + ${i}i) * ${N}i + n0 + ${j}i] = c${i}_${j}; }`);
      L.push(`}`);
      return L.join("\n");
    },
  };
}
const which = process.argv.slice(2);
const sizes = (process.env.SIZES ?? "512,1024").split(",").map(Number);
const gens: Gen[] = which.map((w) => { const [f, ...p] = w.split(":"); const args = p.map((x) => (x === "v" || x === "t" ? true : x === "f" ? false : Number(x))); return (({ unrolled, sg } as any)[f!])(...args); });
for (const n of sizes) {
  const runs = [];
  for (const g of gens) runs.push(await prepare(g, n));
  const reps = Number(process.env.REPS ?? (n >= 1024 ? 3 : 9));
  for (let r = 0; r < reps; r++) for (const x of runs) await x.once();
  runs.forEach((x) => x.report());
}
process.exit(0);
