/**
 * `npm run bench`: training throughput and matrix-product speed of Homeostat (js backend; wasm backend
 * on 1 and 2 threads) against TensorFlow.js (cpu and wasm backends) and PyTorch (when /usr/bin/python3
 * has torch), measured in one run with interleaved rounds. Prints a table and the ratios of each
 * Homeostat contestant to each peer's best, and writes the same figures as JSON.
 *
 *   node dist/bench/bench.js [--quick] [--out bench-results.json] [--only train|gemm]
 *   homeostat bench [--quick] [--out …] [--only …]          (the same, from the CLI)
 *
 * TensorFlow.js is a dev dependency: where it is not installed its contestants are skipped with a note.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  formatMarkdown,
  formatRatios,
  formatSummary,
  formatTable,
  measure,
  ratiosByPeer,
  type Result,
  type Schedule,
  type Workload,
} from "./harness.js";
import {
  homeostatGemm,
  type HomeostatBackend,
  homeostatTrainer,
  benchMlpTask,
  uniformMatrix,
} from "./homeostat.js";
import { startTorch } from "./peers-torch.js";
import { ceilingContestant, cpuName } from "./ceiling.js";
import { cnnWorkloads, convWorkloads } from "./conv-workloads.js";
import { backendByName, type WasmBackend } from "../src/backend/index.js";
import { Rng } from "../src/tensor/rng.js";

const USAGE = `usage: homeostat bench [--quick] [--out PATH] [--only train|gemm|conv|cnn]   (or: npm run bench -- …)
  --quick       about two minutes instead of about eight (fewer, shorter rounds)
  --out PATH    where to write the JSON results (default bench-results.json)
  --only NAME   run one kind of workload: train (MLP), gemm, conv (one layer fwd+bwd) or cnn (training)`;

type Kind = "train" | "gemm" | "conv" | "cnn";
const KINDS: readonly Kind[] = ["train", "gemm", "conv", "cnn"];

/** Budgets per workload: the full run takes about eight minutes on a 2-core machine. */
const SCHEDULES: Record<"full" | "quick", Record<Kind, Schedule>> = {
  full: {
    train: { warmupSeconds: 1, roundSeconds: 0.5, budgetSeconds: 40, minRounds: 5 },
    gemm: { warmupSeconds: 0.5, roundSeconds: 0.5, budgetSeconds: 20, minRounds: 3 },
    conv: { warmupSeconds: 0.3, roundSeconds: 0.3, budgetSeconds: 5, minRounds: 3 },
    cnn: { warmupSeconds: 1, roundSeconds: 0.5, budgetSeconds: 12, minRounds: 3 },
  },
  quick: {
    train: { warmupSeconds: 0.3, roundSeconds: 0.3, budgetSeconds: 6, minRounds: 3 },
    gemm: { warmupSeconds: 0.1, roundSeconds: 0.2, budgetSeconds: 3, minRounds: 2 },
    conv: { warmupSeconds: 0.1, roundSeconds: 0.2, budgetSeconds: 1.5, minRounds: 2 },
    cnn: { warmupSeconds: 0.3, roundSeconds: 0.3, budgetSeconds: 3, minRounds: 2 },
  },
};

/** The MLP of issue 6 at the batch sizes of online learning, minibatch training and large batches. */
const MLP_BATCHES = [1, 64, 256];
/** m×n×k: the MLP's first layer at batch 64, then squares. */
const GEMM_SIZES: [number, number, number][] = [
  [64, 256, 784],
  [256, 256, 256],
  [1024, 1024, 1024],
];
/** Homeostat's contestants: the js reference, then wasm on one and two threads (the ratios' reference). */
const HOMEOSTAT: readonly HomeostatBackend[] = [
  { backend: "js", threads: 1 },
  { backend: "wasm", threads: 1 },
  { backend: "wasm", threads: 2 },
];
const isReference = (b: HomeostatBackend): boolean => b.backend === "wasm" && b.threads === 1;

/** A command-line mistake: the message is printed with the usage, exit code 2. */
class BenchUsageError extends Error {}

function parseCli(argv: string[]): {
  quick: boolean;
  out: string;
  only: Kind | null;
  help: boolean;
} {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: "boolean" },
        out: { type: "string" },
        only: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (e) {
    throw new BenchUsageError((e as Error).message);
  }
  if (values.only !== undefined && !KINDS.includes(values.only as Kind)) {
    throw new BenchUsageError(`--only expects train, gemm, conv or cnn, got "${values.only}"`);
  }
  return {
    quick: values.quick ?? false,
    out: values.out ?? "bench-results.json",
    only: (values.only as Kind | undefined) ?? null,
    help: values.help ?? false,
  };
}

type TfjsPeers = typeof import("./peers-tfjs.js");

/** The TensorFlow.js contestants, or why there are none (not installed: it is a dev dependency). */
async function loadTfjs(): Promise<TfjsPeers | string> {
  try {
    return await import("./peers-tfjs.js");
  } catch (e) {
    return `TensorFlow.js could not be loaded (${(e as Error).message.split("\n")[0]}); its contestants are skipped. It is a dev dependency: run from a clone with npm install.`;
  }
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpuModel: cpuName(),
    cpuCount: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

/**
 * Run the benchmark with command-line arguments `argv`; resolves to the exit code (2 for bad usage).
 */
export async function runBench(argv: string[]): Promise<number> {
  let cli;
  try {
    cli = parseCli(argv);
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e;
    console.error(`bench: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  const mode = cli.quick ? "quick" : "full";
  const started = performance.now();
  const host = machine();
  const peers = await loadTfjs();
  const tf = typeof peers === "string" ? null : peers;
  const tfjs = tf ? await tf.initTfjs() : null;
  console.log(
    `Homeostat benchmark (${mode}) — ${host.cpuModel}, ${host.cpuCount} CPUs, Node ${host.node}, load ${(host.loadAverage as number[]).join(" ")}`,
  );
  console.log(
    tfjs
      ? `peer: TensorFlow.js ${tfjs.version}, backends cpu and wasm (SIMD ${tfjs.wasmSimd ? "on" : "off"}, threads ${tfjs.wasmThreads ? "on" : "off"})\n`
      : `note: ${peers as string}\n`,
  );
  const log = (line: string): void => console.log(line);

  const wasm = backendByName("wasm") as WasmBackend | undefined;
  const ours = HOMEOSTAT.filter((b) => b.backend === "js" || wasm);
  if (wasm) {
    const info = wasm.info();
    console.log(
      `Homeostat wasm backend: ${info.variant} (${info.relaxedSimd ? "relaxed SIMD, fused multiply-add" : "SIMD"}, ${info.sharedMemory ? "shared memory" : "no shared memory: one thread"})`,
    );
  } else {
    console.log("note: the Homeostat wasm backend did not load here (no WebAssembly SIMD); js only");
  }
  const torch = await startTorch();
  console.log(
    typeof torch === "string"
      ? `note: ${torch}`
      : `peer: PyTorch ${torch.version} (CPU, ${torch.blas}), 1 and 2 threads`,
  );
  if (typeof torch !== "string" && !torch.blas.startsWith("OpenBLAS")) {
    console.log(
      "note: PyTorch's products run on Debian's reference BLAS here, ~30× slower than with OpenBLAS; for its real speed: apt-get install libopenblas0-pthread",
    );
  }
  console.log("");
  const torchPeers = typeof torch === "string" ? null : torch;

  const workloads: { schedule: Schedule; workload: Workload }[] = [];
  const wants = (kind: Kind): boolean => cli.only === null || cli.only === kind;
  const made = ceilingContestant();
  const ceiling = typeof made === "string" ? null : made;
  console.log(typeof made === "string" ? `note: ${made}` : `machine's ceiling: ${made.name}`);
  if (wants("train")) {
    for (const batchSize of MLP_BATCHES) {
      const task = benchMlpTask(batchSize);
      workloads.push({
        schedule: SCHEDULES[mode].train,
        workload: {
          name: `MLP 784-256-256-10 train, batch ${batchSize}, SGD`,
          unit: "samples/s",
          scale: 1,
          contestants: [
            ...ours.map((b) => homeostatTrainer(task, b, isReference(b))),
            ...(tf
              ? tf.TF_BACKENDS.flatMap((be) => [tf.tfjsMinimize(be, task), tf.tfjsTrainOnBatch(be, task)])
              : []),
            ...(tf ? [tf.tfjsMinimizeExplicitTranspose("wasm", task)] : []),
            ...(torchPeers ? [torchPeers.mlp(task, 1), torchPeers.mlp(task, 2)] : []),
          ],
        },
      });
    }
  }
  if (wants("gemm")) {
    const gemmRng = new Rng(2);
    for (const [m, n, k] of GEMM_SIZES) {
      const [a, b] = [uniformMatrix(m, k, gemmRng), uniformMatrix(k, n, gemmRng)];
      workloads.push({
        schedule: SCHEDULES[mode].gemm,
        workload: {
          name: `GEMM ${m}×${n}×${k} float32`,
          unit: "GFLOP/s",
          scale: 1e9,
          contestants: [
            ...ours.map((o) => homeostatGemm(m, n, k, a, b, o, isReference(o))),
            ...(tf ? tf.TF_BACKENDS.map((be) => tf.tfjsGemm(be, m, n, k, a, b)) : []),
            ...(torchPeers ? [torchPeers.gemm(m, n, k, 1), torchPeers.gemm(m, n, k, 2)] : []),
            ...(ceiling && m === 1024 ? [ceiling] : []),
          ],
        },
      });
    }
    // The largest product again into one kept result array: the kernels' share of the ceiling without
    // the ~10 µs page faults a fresh 4 MiB array can meet on a VM (docs/performance.md).
    const [m, n, k] = GEMM_SIZES.at(-1)!;
    const [a, b] = [uniformMatrix(m, k, gemmRng), uniformMatrix(k, n, gemmRng)];
    const wasmOnes = ours.filter((o) => o.backend === "wasm");
    workloads.push({
      schedule: SCHEDULES[mode].gemm,
      workload: {
        name: `GEMM ${m}×${n}×${k} float32, result kept`,
        unit: "GFLOP/s",
        scale: 1e9,
        contestants: [
          ...wasmOnes.map((o) => homeostatGemm(m, n, k, a, b, o, isReference(o), true)),
          ...(ceiling ? [ceiling] : []),
        ],
      },
    });
  }
  if (wants("conv"))
    for (const workload of convWorkloads(torchPeers, ceiling))
      workloads.push({ schedule: SCHEDULES[mode].conv, workload });
  if (wants("cnn"))
    for (const workload of cnnWorkloads(torchPeers))
      workloads.push({ schedule: SCHEDULES[mode].cnn, workload });

  const results: Result[] = [];
  for (const { schedule, workload: w } of workloads) {
    console.log(`${w.name}: warm-up, then ${schedule.budgetSeconds} s of interleaved rounds`);
    const tensorsBefore = tf?.tfjsTensorCount() ?? 0;
    results.push(...(await measure(w, schedule, log)));
    const leaked = (tf?.tfjsTensorCount() ?? 0) - tensorsBefore;
    // Each tfjs contestant keeps its weights and batches; anything beyond a few hundred is a per-step leak.
    if (leaked > 200) console.log(`  note: ${leaked} tfjs tensors more than before this workload`);
  }

  torchPeers?.close();
  console.log(`\n${formatTable(results)}\n`);
  console.log(
    "rate: median of rounds; spread: half the interquartile range of rounds; Homeostat ÷ peer: Homeostat wasm (1 thread) ÷ that contestant, above 1 means Homeostat is faster.\n",
  );
  console.log(`${formatRatios(results)}\n`);
  console.log(
    "each Homeostat contestant ÷ the fastest contestant of each peer (above 1: Homeostat is faster).",
  );
  console.log(
    `\nagainst the machine's ceiling and PyTorch on the same threads (${host.cpuModel}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}):\n`,
  );
  console.log(`${formatSummary(results)}\n`);
  console.log(
    `the doc's table (docs/performance.md; bold: the ratios' reference):\n\n${formatMarkdown(results)}`,
  );
  const seconds = (performance.now() - started) / 1000;
  const report = {
    date: new Date().toISOString(),
    mode,
    seconds: Number(seconds.toFixed(1)),
    machine: host,
    tfjs: tfjs ?? { skipped: peers },
    torch: torchPeers ? { version: torchPeers.version, blas: torchPeers.blas } : { skipped: torch },
    wasm: wasm?.info() ?? null,
    results,
    ratios: ratiosByPeer(results),
    summary: formatSummary(results),
  };
  writeFileSync(cli.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${cli.out} (${seconds.toFixed(0)} s in all)`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runBench(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exitCode = 1;
    },
  );
}
