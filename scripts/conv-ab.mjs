// The few-channel conv layers' A/B (docs/performance.md, "The few-channel first layers"): two builds of
// dist (e.g. main's copied to .scratch/dist-main) in one process, interleaved pairs in alternating order,
// CPU time of the whole process (process.cpuUsage: every thread) and wall time per repetition; prints
// each case's median speed ratio A time ÷ B time, with its range. THREADS is n (both) or a/b (A on a
// threads, B on b: the same dist twice compares thread counts). SIDE_MS (env): time a side (150 ms).
//   node scripts/conv-ab.mjs .scratch/dist-main dist 1 41 [case substring]
import os from "node:os";
import path from "node:path";
const [distA, distB, threadsArg, pairsArg, only] = process.argv
  .slice(2)
  .map((a, i) => (i < 2 ? path.resolve(a) : a));
const [threadsA, threadsB = threadsA] = threadsArg.split("/").map(Number);
const pairs = Number(pairsArg);
let threads = threadsA;
async function load(dist) {
  const m = {};
  for (const [k, p] of Object.entries({
    be: "src/backend/index.js",
    bw: "src/autograd/backward.js",
    cv: "src/autograd/conv.js",
    ops: "src/autograd/ops.js",
    T: "src/tensor/tensor.js",
    R: "src/tensor/rng.js",
    cw: "bench/conv-workloads.js",
  }))
    m[k] = await import(`${dist}/${p}`);
  return m;
}
function layer(m, size, cin, cout, kernel, padding, first, batch = 32) {
  const th = threads;
  const { be, bw, cv, T, R } = m;
  be.useBackend("wasm", { threads: th });
  const rng = new R.Rng(3);
  const res = (n, shape, rg) => {
    const a = be.allocFloat32(n);
    for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
    return new T.Tensor(a, shape, rg);
  };
  const taps = kernel * kernel * cin;
  const x = res(batch * size * size * cin, [batch, size, size, cin], !first);
  const w = res(cout * taps, [cout, taps], true);
  const b = res(cout, [cout], true);
  const g = cv.windowGeometry(x.shape, { kernel: [kernel, kernel], padding });
  const seedN = batch * g.outH * g.outW * cout;
  const s = new Float32Array(seedN);
  for (let i = 0; i < seedN; i++) s[i] = rng.uniform(-1, 1);
  const seed = new T.Tensor(s, [batch, g.outH, g.outW, cout]);
  return () => {
    be.useBackend("wasm", { threads: th });
    bw.backward(cv.conv2d(x, w, b, g, m.ops.relu), seed);
    x.grad = w.grad = b.grad = null;
  };
}
async function demo(m, dist) {
  const th = threads;
  const [{ Sequential }, { adam }, { fit }, { CNN_DEMO_CONFIG }] = await Promise.all(
    ["src/nn/sequential.js", "src/optim/optimizers.js", "src/train/fit.js", "src/cli/commands.js"].map(
      (p) => import(`${dist}/${p}`),
    ),
  );
  m.be.useBackend("wasm", { threads: th });
  const rng = new m.R.Rng(1);
  const rows = 128;
  const y = new Float32Array(rows * 10);
  for (let r = 0; r < rows; r++) y[r * 10 + Math.floor(rng.next() * 10)] = 1;
  const x = new Float32Array(rows * 784);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  const data = { x: new m.T.Tensor(x, [rows, 784]), y: new m.T.Tensor(y, [rows, 10]) };
  const model = Sequential.fromLayerConfigs(CNN_DEMO_CONFIG.model.layers).build(784, new m.R.Rng(1));
  const optimizer = adam({ lr: 1e-3 });
  let calls = 0;
  return () => {
    m.be.useBackend("wasm", { threads: th });
    fit(model, data, { epochs: 1, batchSize: 32, optimizer, loss: "crossEntropy", seed: calls++ });
  };
}
function cnn(m, net) {
  const c = m.cw.homeostatCnn(net, 32, { backend: "wasm", threads }, true);
  return () => c.run(1);
}
const CASES = {
  "28x28x1->16 3x3": (m) => layer(m, 28, 1, 16, 3, "valid", true),
  "28x28x1->16 5x5 (demo)": (m) => layer(m, 28, 1, 16, 5, "valid", true),
  "32x32x3->16 3x3": (m) => layer(m, 32, 3, 16, 3, "same", true),
  "32x32x3->16 3x3 +dx": (m) => layer(m, 32, 3, 16, 3, "same", false),
  "28x28x16->16 3x3": (m) => layer(m, 28, 16, 16, 3, "same", false),
  "demo cnn b32 train": (m) => demo(m, m === A ? distA : distB),
  "lenet b32 train": (m) => cnn(m, "lenet"),
  "resnet b32 train": (m) => cnn(m, "resnet"),
};
let A, B;
A = await load(distA);
B = await load(distB);
const med = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
for (const [name, make] of Object.entries(CASES)) {
  if (only && !name.includes(only)) continue;
  threads = threadsA;
  const fa = await make(A);
  threads = threadsB;
  const fb = await make(B);
  const time = async (f, reps) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await f();
    const c = process.cpuUsage(c0);
    return [(c.user + c.system) / 1e3 / reps, (performance.now() - t0) / reps];
  };
  // Warm up, then choose reps for ~150 ms a side.
  await time(fa, 2);
  await time(fb, 2);
  const [, w1] = await time(fa, 2);
  const reps = Math.max(1, Math.round(Number(process.env.SIDE_MS ?? 150) / w1));
  const cpu = [],
    wall = [],
    cpuA = [],
    cpuB = [];
  for (let p = 0; p < pairs; p++) {
    const first = p % 2 === 0;
    const [ca, wa] = first ? await time(fa, reps) : (null ?? [0, 0]);
    const [cb, wb] = await time(fb, reps);
    const [ca2, wa2] = first ? [ca, wa] : await time(fa, reps);
    cpu.push(ca2 / cb);
    wall.push(wa2 / wb);
    cpuA.push(ca2);
    cpuB.push(cb);
  }
  const f = (v) => v.toFixed(2);
  console.log(
    `${name} threads=${threadsArg}: cpu ratio ${f(med(cpu))} (${f(Math.min(...cpu))}-${f(Math.max(...cpu))}), wall ratio ${f(med(wall))}; cpu ms/rep A ${med(cpuA).toFixed(1)} B ${med(cpuB).toFixed(1)}; load ${os.loadavg()[0].toFixed(1)}`,
  );
}
process.exit(0);
