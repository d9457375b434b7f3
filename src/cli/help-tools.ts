/** The pages of the tools around runs: report and bench. */
import { type HelpPage, HELP, NO_KERNELS_COMMON } from "./help-common.js";

export const reportPage = {
  usage: ["report RECORD.json [RECORD2.json] [--out FILE.html] [--json | --quiet]"],
  about:
    "Renders a run record (written by train, demo mnist, continual and live) as one self-contained HTML page: the diagnosis, loss and learning-rate curves, health statistics and events, for continual runs the accuracy heatmap and measures, and for live runs prequential accuracy with the drifts marked. Two records are compared on the same axes.",
  flags: [
    {
      flag: "-o, --out FILE.html",
      doc: "where to write the page (default: the first record's path with .json replaced by .html)",
    },
  ],
  common: NO_KERNELS_COMMON,
  sections: [
    ["Input", "  One or two run records (JSON, as train and continual write them beside their output)."],
    ["Output", "  report written to PATH (N KiB, S s)"],
    [
      "--json output",
      `  {"command": "report", "records": [absolute paths], "report": absolute path, "bytes": page size}`,
    ],
  ],
  exit: "0 written; 2 bad usage, an unreadable or invalid record, or an output that cannot be written",
  examples: [
    "homeostat report runs/mnist/model.record.json --out run.html",
    "homeostat report a.record.json b.record.json -o compare.html",
  ],
} satisfies HelpPage;

export const benchPage = {
  usage: ["bench [--quick] [--only train|gemm|conv|cnn] [--out FILE.json]"],
  about:
    "Measures training throughput (784-256-256-10 MLP, SGD, batches of 1, 64 and 256) float32 matrix products (64×256×784, 256³, 1024³), one 3×3 conv layer's forward and backward (28×28 and 32×32 inputs, batch 32 and 1) and CNN training (a LeNet-5-like and a small ResNet block net, batch 32 and 1) of Homeostat's js backend and wasm backend (1 and 2 threads) against TensorFlow.js (cpu and wasm; a dev dependency, so only in a clone after npm install) and PyTorch (when python3 has torch), in interleaved rounds, beside the machine's own ceiling (one thread of independent 128-bit multiply-add chains). Takes about eight minutes (two with --quick). It parses its own flags: --json, --quiet, --seed, --backend and --threads are not taken.",
  flags: [
    { flag: "--quick", doc: "fewer, shorter rounds: about two minutes instead of about eight" },
    { flag: "--only WORKLOAD", doc: "run one kind of workload: train, gemm, conv or cnn (default all)" },
    { flag: "--out FILE", doc: "where to write the results as JSON (default bench-results.json)" },
    { flag: "-h, --help", doc: HELP },
  ],
  sections: [
    [
      "Output",
      `  A line per workload as it runs, a table (rate: median of rounds; spread: half the interquartile
  range), then each Homeostat contestant ÷ each peer's fastest (above 1: Homeostat is faster), then
  per workload wasm's share of the ceiling, two threads ÷ one and ÷ PyTorch on the same threads, and
  every rate as a markdown table.`,
    ],
    [
      "JSON file (--out)",
      `  {"date", "mode": "quick" | "full", "seconds", "machine": {"cpuModel", "cpuCount", "node",
   "platform", "memoryGiB", "loadAverage"}, "tfjs", "torch", "wasm" (versions, or why skipped),
   "results": [{"workload", "contestant", "unit", "median", "spread", "rounds", "repsPerRound",
   "reference", "peer", "ratio"}], "ratios": {workload: {contestant: {peer: ratio}}},
   "summary" (the ceiling table, markdown)}`,
    ],
  ],
  exit: "0 measured; 2 bad usage",
  examples: ["homeostat bench --quick", "homeostat bench --only gemm --out gemm.json"],
} satisfies HelpPage;
