/**
 * The long-life benchmark of issue 17: `npm run live-bench`, or
 * `node --expose-gc dist/bench/live-bench.js [--rows N] [--synthetic-rows N] [--seed S]
 * [--variants a,b] [--hidden 64,64] [--oracle-rows N] [--speed-steps N] [--soak-rows N]
 * [--out docs/live-bench.md]` (--soak-rows: rows of the one-learner memory soak, default --rows; 0 skips it).
 * Runs learner variants over the digit stream and the synthetic streams, measures the speed against
 * PyTorch, and writes the page of results (bench/live-bench-doc.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { backendNames, useBackend } from "../src/backend/index.js";
import { DIGIT_STREAM_ROWS } from "../src/data/digit-stream.js";
import { DEFAULT_HIDDEN, type HiddenLayer } from "../src/learner/config.js";
import { ConfigError } from "../src/tensor/errors.js";
import { type DigitRun, runDigits } from "./live-bench-digits.js";
import { renderDoc } from "./live-bench-doc.js";
import { soakMemory } from "./live-bench-memory.js";
import { measureSpeed } from "./live-bench-speed.js";
import { runSynthetic, SYNTHETIC_STREAMS, type SyntheticScore } from "./live-bench-synthetic.js";
import { pickVariants, runnable } from "./live-bench-variants.js";

const FLAGS = [
  "rows",
  "synthetic-rows",
  "seed",
  "variants",
  "hidden",
  "oracle-rows",
  "speed-steps",
  "soak-rows",
  "out",
];

interface Args {
  rows: number;
  syntheticRows: number;
  seed: number;
  variants: string;
  hidden: HiddenLayer[];
  oracleRows: number;
  speedSteps: number;
  soakRows: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i].replace(/^--/, "");
    if (!argv[i].startsWith("--") || !FLAGS.includes(flag))
      throw new ConfigError(
        `${argv[i]}: unknown option; expected one of ${FLAGS.map((f) => `--${f}`).join(", ")}`,
        { field: argv[i] },
      );
    if (argv[i + 1] === undefined)
      throw new ConfigError(`--${flag}: expected a value`, { field: `--${flag}` });
    raw.set(flag, argv[i + 1]);
  }
  const int = (flag: string, fallback: number, min: number) => {
    const v = raw.has(flag) ? Number(raw.get(flag)) : fallback;
    if (!Number.isInteger(v) || v < min)
      throw new ConfigError(`--${flag}: expected an integer ≥ ${min}, got ${raw.get(flag)}`, {
        field: `--${flag}`,
      });
    return v;
  };
  // Left out: the learner's default network (64 ReLU units, layer-normalised), as a user gets it.
  const hidden: HiddenLayer[] = raw.has("hidden")
    ? raw.get("hidden")!.split(",").map(Number)
    : DEFAULT_HIDDEN.map((h) => (typeof h === "number" ? h : { ...h }));
  if (!hidden.every((h) => typeof h === "object" || (Number.isInteger(h) && h > 0)))
    throw new ConfigError(`--hidden: expected widths like 64 or 256,256, got ${raw.get("hidden")}`, {
      field: "--hidden",
    });
  return {
    rows: int("rows", DIGIT_STREAM_ROWS, 1000),
    syntheticRows: int("synthetic-rows", 100_000, 0),
    seed: int("seed", 1, 0),
    variants: raw.get("variants") ?? "",
    hidden,
    oracleRows: int("oracle-rows", 5000, 1),
    speedSteps: int("speed-steps", 3000, 0),
    soakRows: int("soak-rows", raw.has("rows") ? Number(raw.get("rows")) : DIGIT_STREAM_ROWS, 0),
    out: raw.get("out") ?? "docs/live-bench.md",
  };
}

function chooseBackend(notes: string[]): string {
  if (backendNames().includes("wasm")) {
    useBackend("wasm", { threads: 1 });
    return "wasm (1 thread)";
  }
  notes.push("The wasm backend is not available in this runtime: every figure is on the js backend.");
  useBackend("js");
  return "js";
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const notes: string[] = [];
  const backend = chooseBackend(notes);
  const scale = args.rows / DIGIT_STREAM_ROWS;
  if (args.rows < DIGIT_STREAM_ROWS)
    notes.push(
      `This run streams ${args.rows.toLocaleString("en-US")} digit rows: the 1,000,000-row schedule scaled by ${scale}.`,
    );
  if (!(globalThis as { gc?: unknown }).gc)
    notes.push("Run without --expose-gc: memory is sampled between collections.");
  const base = { task: "classification" as const, inputs: 784, hidden: args.hidden, seed: args.seed };
  const { kept, notes: variantNotes } = runnable(pickVariants(args.variants), base);
  notes.push(...variantNotes);
  for (const n of notes) console.error(`note: ${n}`);

  const t0 = performance.now();
  // 10k, 100k and 1M as issue 17 asks, and every tenth of the run to show the level between them.
  const tenths = Array.from({ length: 10 }, (_, k) => Math.round(((k + 1) * args.rows) / 10));
  const checkpoints = [...new Set([10_000, 100_000, 1_000_000, ...tenths])]
    .filter((c) => c <= args.rows)
    .sort((a, b) => a - b);
  const digits: DigitRun = runDigits({
    seed: args.seed,
    scale,
    hidden: args.hidden,
    variants: kept,
    oracleRows: args.oracleRows,
    checkpoints,
    saveLoadRows: Math.min(5000, Math.floor(args.rows / 10)),
    progress: (row, rows) => {
      const s = (performance.now() - t0) / 1000;
      process.stderr.write(
        `\rdigits ${row.toLocaleString("en-US")} / ${rows.toLocaleString("en-US")}  ${s.toFixed(0)} s, ~${((s / row) * (rows - row)).toFixed(0)} s left   `,
      );
    },
  });
  process.stderr.write("\n");
  const synthetic: SyntheticScore[] = [];
  if (args.syntheticRows > 0)
    for (const spec of SYNTHETIC_STREAMS) {
      console.error(`synthetic ${spec.name}…`);
      synthetic.push(
        ...runSynthetic(spec, kept, { rows: args.syntheticRows, seed: args.seed, oracleRows: 2000 }),
      );
    }
  console.error("speed…");
  const speed =
    args.speedSteps > 0
      ? await measureSpeed({ steps: args.speedSteps, hidden: [256, 256], seed: args.seed })
      : null;
  console.error("memory: one default learner in a child process…");
  const soak = args.soakRows > 0 ? soakMemory(args.soakRows) : null;
  const command = `npm run live-bench -- ${process.argv.slice(2).join(" ")}`.trim().replace(/ --$/, "");
  const doc = renderDoc(
    {
      command: process.argv.length > 2 ? command : "npm run live-bench",
      date: new Date().toISOString().slice(0, 10),
      cpu: `${cpus()[0]?.model ?? "unknown CPU"} (${cpus().length} cores seen)`,
      node: process.version,
      backend,
      seed: args.seed,
      hidden: args.hidden,
      syntheticRows: args.syntheticRows,
      oracleRows: args.oracleRows,
      grace: Math.max(500, Math.round(10_000 * scale)),
      seconds: (performance.now() - started) / 1000,
      notes,
    },
    kept,
    digits,
    synthetic,
    speed,
    soak,
  );
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, doc);
  console.error(`wrote ${args.out}`);
  if (digits.saveLoad && !digits.saveLoad.identical) {
    console.error(`save/load: the restored learner is not bit-identical (${digits.saveLoad.detail})`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  if (e instanceof ConfigError) {
    console.error(`live-bench: ${e.message}`);
    process.exit(2);
  }
  throw e;
});
