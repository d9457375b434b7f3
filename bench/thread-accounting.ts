/**
 * Where a two-thread product's time goes, thread by thread: GEMM 1024³ through `matmul` with a fresh
 * result array each product (as the bench's GEMM rows), on 1 and 2 wasm threads in interleaved rounds,
 * and, given another build's dist, that build too (A/B in one process):
 *
 *     node dist/bench/thread-accounting.js [DIR] [rounds=8] [size=1024|mlp]
 *
 * (`mlp`: the bench's MLP at batch 64 instead, per epoch of 16 steps, both builds' `fit` from the same
 * seed; the two threads' weights differ from one thread's only in speed.)
 * Per product: wall time (median of rounds), the CPU time of the calling thread, of the busiest other
 * thread (the pool's worker) and of the rest (V8's helpers: GC, compilation), from each thread's
 * /proc/self/task/TID/schedstat, and the page faults. CPU time is counted where a thread ran, so it
 * stays meaningful on a loaded machine where wall time does not; Linux only. A last JSON line sums it up.
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

interface Build {
  name: string;
  /** `reps` products (or epochs of 16 training steps) on `threads` threads; the last result. */
  run(threads: number, reps: number): Float32Array | Promise<Float32Array>;
}

/** The bench's MLP 784-256-256-10 trained with `fit` at batch 64 (homeostatTrainer), 16 steps an epoch. */
async function mlpBuild(root: string, name: string): Promise<Build> {
  const { homeostatTrainer, makeMlpTask } = await import(`${root}bench/homeostat.js`);
  const task = makeMlpTask({
    inputs: 784,
    hidden: [256, 256],
    classes: 10,
    batchSize: 64,
    lr: 0.01,
    batches: 16,
    seed: 1,
  });
  const trainers = [1, 2].map((threads) => homeostatTrainer(task, { backend: "wasm", threads }));
  return {
    name,
    async run(threads, reps) {
      await trainers[threads - 1].run(reps);
      return new Float32Array(0);
    },
  };
}

async function build(root: string, name: string, size: number): Promise<Build> {
  if (Number.isNaN(size)) return mlpBuild(root, name);
  const { matmul } = await import(`${root}src/autograd/ops.js`);
  const { useBackend, allocFloat32 } = await import(`${root}src/backend/index.js`);
  const { Tensor } = await import(`${root}src/tensor/tensor.js`);
  useBackend("wasm", { threads: 1 });
  // Operands in the backend's memory, as the bench places them (homeostatGemm).
  const operand = (): unknown => {
    const r = allocFloat32(size * size) as Float32Array;
    for (let i = 0; i < r.length; i++) r[i] = ((i * 7919) % 1000) / 1000;
    return new Tensor(r, [size, size]);
  };
  const [a, b] = [operand(), operand()];
  return {
    name,
    run(threads, reps) {
      useBackend("wasm", { threads });
      let last: { data: Float32Array } | undefined;
      for (let r = 0; r < reps; r++) last = matmul(a, b);
      return last!.data;
    },
  };
}

/** Milliseconds each thread of this process has run, by thread id. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      out.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

function minorFaults(): number {
  return Number(readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ")[7]);
}

const median = (xs: readonly number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;

const [dir, roundsArg = "8", sizeArg = "1024"] = process.argv.slice(2);
const [rounds, size] = [Number(roundsArg), Number(sizeArg)];
const builds = [await build(new URL("../", import.meta.url).href, "this build", size)];
if (dir) builds.unshift(await build(pathToFileURL(`${resolve(dir)}/`).href, dir, size));
const reps = 4;
const rows = new Map<
  string,
  { wall: number[]; main: number[]; worker: number[]; rest: number[]; faults: number[] }
>();
const results = new Map<string, Float32Array>();
const main = String(process.pid);
for (let round = -1; round < rounds; round++) {
  const order = builds.flatMap((b) => [1, 2].map((threads) => ({ b, threads })));
  if (round % 2) order.reverse();
  for (const { b, threads } of order) {
    const [cpu0, f0, t0] = [threadCpu(), minorFaults(), performance.now()];
    const out = await b.run(threads, reps);
    const [t1, f1, cpu1] = [performance.now(), minorFaults(), threadCpu()];
    const key = `${b.name}, ${threads} thread${threads > 1 ? "s" : ""}`;
    results.set(key, out);
    if (round < 0) continue;
    const used = [...cpu1].map(([tid, ms]) => ({ tid, ms: (ms - (cpu0.get(tid) ?? 0)) / reps }));
    const others = used.filter((u) => u.tid !== main).sort((x, y) => y.ms - x.ms);
    const row = rows.get(key) ?? { wall: [], main: [], worker: [], rest: [], faults: [] };
    row.wall.push((t1 - t0) / reps);
    row.main.push(used.find((u) => u.tid === main)?.ms ?? 0);
    row.worker.push(threads > 1 ? (others[0]?.ms ?? 0) : 0);
    row.rest.push(others.slice(threads > 1 ? 1 : 0).reduce((s, u) => s + u.ms, 0));
    row.faults.push((f1 - f0) / reps);
    rows.set(key, row);
  }
}
const first = [...results.values()][0]!;
const sameBits = [...results.values()].every((r) => r.every((v, i) => Object.is(v, first[i])));
console.log(
  `GEMM ${size}³, fresh result each product, ${rounds} rounds × ${reps}, load ${loadavg()[0]!.toFixed(1)}`,
);
console.log(
  "| build, threads | wall ms | caller CPU ms | worker CPU ms | other threads' CPU ms | page faults |",
);
console.log("| --- | --- | --- | --- | --- | --- |");
const summary: Record<string, number> = {};
for (const [key, r] of rows) {
  const cells = [r.wall, r.main, r.worker, r.rest].map((xs) => median(xs).toFixed(2));
  console.log(`| ${key} | ${cells.join(" | ")} | ${median(r.faults).toFixed(0)} |`);
  summary[key] = median(r.wall);
}
for (const b of builds) {
  const [one, two] = [rows.get(`${b.name}, 1 thread`)!, rows.get(`${b.name}, 2 threads`)!];
  const ratio = median(one.wall.map((w, i) => w / two.wall[i]!));
  console.log(`${b.name}: two threads ÷ one ${ratio.toFixed(3)} (median of the rounds' ratios)`);
  summary[`${b.name}: 2 ÷ 1`] = ratio;
}
console.log(JSON.stringify({ sameBits, load: loadavg()[0], ...summary }));
