/**
 * A quick sweep for tuning the learner's defaults against the long-life benchmark: one learner config
 * over the first rows of the digit stream (the 1,000,000-row schedule scaled, cut at --until) and,
 * optionally, the synthetic streams; prints one JSON line of figures. Much shorter than
 * `npm run live-bench`, so variants can be compared in minutes; confirm a winner with the full run.
 *
 * `node dist/bench/live-bench-sweep.js --config '{"memory":2000}' [--name N] [--rows 100000]
 * [--until 85000] [--synthetic-rows 0] [--seed 1]`: the config's keys go on top of
 * `{task, inputs: 784, seed}` (the learner's default network unless the config gives `hidden`), as live-bench's variants do.
 */
import { useBackend } from "../src/backend/index.js";
import { DIGIT_STREAM_ROWS, DigitStream } from "../src/data/digit-stream.js";
import { Learner, type LearnerConfig } from "../src/learner/index.js";
import { ConfigError } from "../src/tensor/errors.js";
import { accuracy, REJECTED, recurring } from "./live-bench-measure.js";
import { runSynthetic, SYNTHETIC_STREAMS } from "./live-bench-synthetic.js";
import { configFlag, flagPairs } from "./sweep-flags.js";

interface SweepArgs {
  name: string;
  config: Record<string, unknown>;
  rows: number;
  until: number;
  syntheticRows: number;
  seed: number;
}

function parseArgs(argv: string[]): SweepArgs {
  const raw = flagPairs(argv, ["name", "config", "rows", "until", "synthetic-rows", "seed"]);
  const config = configFlag(raw);
  const rows = Number(raw.get("rows") ?? 100_000);
  return {
    name: raw.get("name") ?? JSON.stringify(config),
    config,
    rows,
    until: Number(raw.get("until") ?? rows),
    syntheticRows: Number(raw.get("synthetic-rows") ?? 0),
    seed: Number(raw.get("seed") ?? 1),
  };
}

/** Prequential figures of one config on the first `until` rows of the scaled digit stream. */
function digits(a: SweepArgs): Record<string, unknown> {
  const stream = new DigitStream({ seed: a.seed, scale: a.rows / DIGIT_STREAM_ROWS });
  const base: LearnerConfig = { task: "classification", inputs: 784, seed: a.seed };
  const learner = Learner.create({ ...base, ...a.config } as LearnerConfig);
  const hits = new Uint8Array(Math.min(a.until, stream.rows));
  const back = stream.schedule.findIndex((p) => p.kind === "recurring");
  const held = back >= 0 ? stream.phaseSample(back, 2000, a.seed + 5000) : [];
  let retained: number | null = null;
  for (const row of stream) {
    if (row.index >= hits.length) break;
    // Retention: the plain digits, unseen rows, predicted just before they return (less noisy than 200 rows).
    if (back >= 0 && row.index === stream.schedule[back].start) retained = heldAccuracy(learner, held);
    try {
      const before = learner.observe(row.x, row.y);
      hits[row.index] = "label" in before && before.label === row.y ? 1 : 0;
    } catch {
      hits[row.index] = REJECTED;
    }
  }
  const rec = recurring(hits, stream.schedule)[0];
  const phases = Object.fromEntries(
    stream.schedule
      .filter((p) => p.start < hits.length)
      .map((p) => [p.name, round(accuracy(hits, p.start, p.start + p.length))]),
  );
  return {
    whole: round(accuracy(hits, 0, hits.length)),
    recurring: rec ? { before: round(rec.before), after: round(rec.after), ratio: round(rec.ratio) } : null,
    retained: round(retained),
    after1000:
      back >= 0
        ? round(accuracy(hits, stream.schedule[back].start, stream.schedule[back].start + 1000))
        : null,
    drifts: learner.vitals().drifts.map((d) => d.row),
    // The largest dead fraction of any layer at any balance reading (the table's "worst dead units").
    worstDead: round(learner.vitals().balance?.worstDead ?? null),
    phases,
  };
}

function heldAccuracy(learner: Learner, rows: readonly { x: Float32Array; y: number }[]): number {
  let right = 0;
  for (const r of rows) {
    const p = learner.predict(r.x);
    if ("label" in p && p.label === r.y) right++;
  }
  return right / rows.length;
}

function round(v: number | null): number | null {
  return v === null ? null : Math.round(v * 10000) / 10000;
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  useBackend("wasm", { threads: 1 });
  const started = performance.now();
  const out: Record<string, unknown> = { name: a.name, ...(a.until > 0 ? digits(a) : {}) };
  if (a.syntheticRows > 0) {
    const variant = { name: a.name, doc: "", config: a.config };
    for (const spec of SYNTHETIC_STREAMS) {
      const [s] = runSynthetic(spec, [variant], { rows: a.syntheticRows, seed: a.seed, oracleRows: 0 });
      out[spec.name] = round(s.score);
    }
  }
  out.seconds = Math.round((performance.now() - started) / 1000);
  console.log(JSON.stringify(out));
}

try {
  main();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(`live-bench-sweep: ${e.message}`);
  process.exit(2);
}
