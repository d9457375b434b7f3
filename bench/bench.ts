/**
 * `npm run bench`: training throughput and matrix-product speed of Homeostat against TensorFlow.js
 * (cpu and wasm backends), measured in one run with interleaved rounds. Prints a table and writes the
 * same figures as JSON.
 *
 *   node dist/bench/bench.js [--quick] [--out bench-results.json] [--only train|gemm]
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { formatTable, measure, type Result, type Schedule, type Workload } from "./harness.js";
import { homeostatGemm, homeostatTrainer, makeMlpTask, uniformMatrix } from "./homeostat.js";
import { initTfjs, TF_BACKENDS, tfjsGemm, tfjsMinimize, tfjsMinimizeExplicitTranspose, tfjsTensorCount, tfjsTrainOnBatch } from "./peers-tfjs.js";
import { Rng } from "../src/tensor/rng.js";

const USAGE = `usage: node dist/bench/bench.js [--quick] [--out PATH] [--only train|gemm]
  --quick       about 20 s instead of about 2 minutes (fewer, shorter rounds)
  --out PATH    where to write the JSON results (default bench-results.json)
  --only NAME   run one workload: train or gemm`;

/** Budgets per workload: the full run takes about two minutes on a 2-core machine, the quick one about 20 s. */
const SCHEDULES: Record<"full" | "quick", Record<"train" | "gemm", Schedule>> = {
  full: {
    train: { warmupSeconds: 2, roundSeconds: 1, budgetSeconds: 60, minRounds: 5 },
    gemm: { warmupSeconds: 1, roundSeconds: 1, budgetSeconds: 25, minRounds: 3 },
  },
  quick: {
    train: { warmupSeconds: 0.5, roundSeconds: 0.4, budgetSeconds: 6, minRounds: 3 },
    gemm: { warmupSeconds: 0.1, roundSeconds: 0.3, budgetSeconds: 3, minRounds: 2 },
  },
};

const GEMM_N = 1024;

function parseCli(argv: string[]): { quick: boolean; out: string; only: "train" | "gemm" | null } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { quick: { type: "boolean" }, out: { type: "string" }, only: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.only !== undefined && values.only !== "train" && values.only !== "gemm") {
    console.error(`bench: --only expects train or gemm, got "${values.only}"\n${USAGE}`);
    process.exit(2);
  }
  return { quick: values.quick ?? false, out: values.out ?? "bench-results.json", only: (values.only as "train" | "gemm" | undefined) ?? null };
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cpuCount: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  const mode = cli.quick ? "quick" : "full";
  const started = performance.now();
  const host = machine();
  const tfjs = await initTfjs();
  console.log(`Homeostat benchmark (${mode}) — ${host.cpuModel}, ${host.cpuCount} CPUs, Node ${host.node}, load ${(host.loadAverage as number[]).join(" ")}`);
  console.log(`peer: TensorFlow.js ${tfjs.version}, backends cpu and wasm (SIMD ${tfjs.wasmSimd ? "on" : "off"}, threads ${tfjs.wasmThreads ? "on" : "off"})\n`);
  const log = (line: string): void => console.log(line);

  const task = makeMlpTask({ inputs: 784, hidden: [256, 256], classes: 10, batchSize: 64, lr: 0.01, batches: 8, seed: 1 });
  const gemmRng = new Rng(2);
  const [a, b] = [uniformMatrix(GEMM_N, gemmRng), uniformMatrix(GEMM_N, gemmRng)];
  const workloads: { schedule: Schedule; workload: Workload }[] = [];
  if (cli.only !== "gemm") {
    workloads.push({ schedule: SCHEDULES[mode].train, workload: {
      name: "MLP 784-256-256-10 train, batch 64, SGD",
      unit: "samples/s",
      scale: 1,
      contestants: [
        homeostatTrainer(task),
        ...TF_BACKENDS.flatMap((be) => [tfjsMinimize(be, task), tfjsTrainOnBatch(be, task)]),
        tfjsMinimizeExplicitTranspose("wasm", task),
      ],
    } });
  }
  if (cli.only !== "train") {
    workloads.push({ schedule: SCHEDULES[mode].gemm, workload: {
      name: `GEMM ${GEMM_N}×${GEMM_N}×${GEMM_N} float32`,
      unit: "GFLOP/s",
      scale: 1e9,
      contestants: [homeostatGemm(GEMM_N, a, b), ...TF_BACKENDS.map((be) => tfjsGemm(be, GEMM_N, a, b))],
    } });
  }

  const results: Result[] = [];
  for (const { schedule, workload: w } of workloads) {
    console.log(`${w.name}: warm-up, then ${schedule.budgetSeconds} s of interleaved rounds`);
    const tensorsBefore = tfjsTensorCount();
    results.push(...(await measure(w, schedule, log)));
    const leaked = tfjsTensorCount() - tensorsBefore;
    // Each tfjs contestant keeps its weights and batches; anything beyond a few hundred is a per-step leak.
    if (leaked > 200) console.log(`  note: ${leaked} tfjs tensors more than before this workload`);
  }

  console.log(`\n${formatTable(results)}\n`);
  console.log("rate: median of rounds; spread: half the interquartile range of rounds; Homeostat ÷ peer above 1 means Homeostat is faster.");
  for (const { workload: w } of workloads) {
    const peers = results.filter((r) => r.workload === w.name && !r.reference);
    const best = peers.reduce((x, y) => (y.median > x.median ? y : x));
    console.log(`${w.name}: fastest peer ${best.contestant}; Homeostat ÷ it = ${best.ratio?.toFixed(2)}×`);
  }
  const seconds = (performance.now() - started) / 1000;
  const report = { date: new Date().toISOString(), mode, seconds: Number(seconds.toFixed(1)), machine: host, tfjs, results };
  writeFileSync(cli.out, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nwrote ${cli.out} (${seconds.toFixed(0)} s in all)`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
