/**
 * What happens when the digit stream's plain digits return (issue 17's recurring context): one learner
 * config over the scaled schedule up to the return and a few hundred rows past it, printing one JSON
 * line. Just before the return it scores held-out plain digits three ways — with the normaliser as it
 * is, with the normaliser of the moment the plain digits left, and with the normaliser moved on by 1,000
 * plain rows (where the return takes it) — so a weak first 200 rows can be told apart: forgotten
 * weights, or an input coding that moves under the network. It also prints the accuracy of every 50
 * rows after the return and the drifts detected.
 *
 * `node dist/bench/live-bench-return.js [--config '{"memory":16000}'] [--seed 2] [--rows 100000]
 * [--after 800]`: the config's keys go on top of `{task, inputs: 784, seed}` (the learner's default network unless the config gives `hidden`).
 */
import { useBackend } from "../src/backend/index.js";
import { RunningNormalizer, type RunningNormalizerState } from "../src/data/running-normalizer.js";
import { DIGIT_STREAM_ROWS, type DigitRow, DigitStream } from "../src/data/digit-stream.js";
import { Learner, type LearnerConfig, type LearnerState } from "../src/learner/index.js";
import { ConfigError } from "../src/tensor/errors.js";
import { configFlag, flagPairs } from "./sweep-flags.js";

interface ReturnArgs {
  config: Record<string, unknown>;
  seed: number;
  rows: number;
  after: number;
}

function parseArgs(argv: string[]): ReturnArgs {
  const raw = flagPairs(argv, ["config", "seed", "rows", "after"]);
  const config = configFlag(raw);
  const number = (key: string, fallback: number) => {
    const v = Number(raw.get(key) ?? fallback);
    if (!Number.isInteger(v) || v < 0)
      throw new ConfigError(`--${key}: expected a whole number, got ${raw.get(key)}`, { field: `--${key}` });
    return v;
  };
  return { config, seed: number("seed", 1), rows: number("rows", 100_000), after: number("after", 800) };
}

/** Share of `rows` the learner of `state` predicts right (a copy: the learner itself is not touched). */
function heldAccuracy(state: LearnerState, rows: readonly DigitRow[]): number {
  const learner = Learner.fromState(state);
  return (
    rows.filter((r) => {
      const p = learner.predict(r.x);
      return "label" in p && p.label === r.y;
    }).length / rows.length
  );
}

/** `state` with its input normaliser replaced (null: the learner does not normalise). */
function withNormalizer(state: LearnerState, normalizer: RunningNormalizerState): LearnerState {
  return { ...state, network: { ...state.network!, normalizer } };
}

function run(a: ReturnArgs): Record<string, unknown> {
  const stream = new DigitStream({ seed: a.seed, scale: a.rows / DIGIT_STREAM_ROWS });
  const base: LearnerConfig = { task: "classification", inputs: 784, seed: a.seed };
  const learner = Learner.create({ ...base, ...a.config } as LearnerConfig);
  const back = stream.schedule.findIndex((p) => p.kind === "recurring");
  const returns = stream.schedule[back].start;
  const left = stream.schedule
    .filter((p, k) => k < back && p.concept === stream.schedule[back].concept)
    .at(-1)!;
  // Unseen plain digits: 2,000 to score, 1,000 more to move a normaliser on as the return does.
  const held = stream.phaseSample(back, 3000, a.seed + 5000);
  const scored = held.slice(0, 2000);
  let leaving: RunningNormalizerState | null = null;
  const out: Record<string, unknown> = { seed: a.seed, config: a.config };
  const hits: number[] = [];
  for (const row of stream) {
    if (row.index === left.start + left.length) leaving = learner.getState().network?.normalizer ?? null;
    if (row.index === returns) out.held = heldAt(learner.getState(), scored, held.slice(2000), leaving);
    let hit = 0;
    try {
      const p = learner.observe(row.x, row.y);
      hit = "label" in p && p.label === row.y ? 1 : 0;
    } catch {
      // A NaN row: refused, scored as a miss.
    }
    if (row.index >= returns) hits.push(hit);
    if (hits.length >= a.after) break;
  }
  out.first200 = hits.slice(0, 200).reduce((s, h) => s + h, 0) / 200;
  out.per50 = Array.from({ length: Math.ceil(hits.length / 50) }, (_, i) =>
    hits.slice(i * 50, i * 50 + 50).reduce((s, h) => s + h, 0),
  );
  out.drifts = learner.vitals().drifts.map((d) => d.row);
  return out;
}

/** Held-out accuracy just before the return, with the normaliser as it is, as it was, and moved on. */
function heldAt(
  state: LearnerState,
  scored: readonly DigitRow[],
  plain: readonly DigitRow[],
  leaving: RunningNormalizerState | null,
): Record<string, number> {
  const now = state.network?.normalizer;
  if (!now || !leaving) return { now: heldAccuracy(state, scored) };
  const moved = RunningNormalizer.fromState(now);
  for (const r of plain) moved.update(r.x);
  return {
    now: heldAccuracy(state, scored),
    normalizerWhenLeft: heldAccuracy(withNormalizer(state, leaving), scored),
    normalizerMovedOn1000: heldAccuracy(withNormalizer(state, moved.getState()), scored),
  };
}

try {
  useBackend("wasm", { threads: 1 });
  console.log(JSON.stringify(run(parseArgs(process.argv.slice(2)))));
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(`live-bench-return: ${e.message}`);
  process.exit(2);
}
