/**
 * The synthetic streams of the long-life benchmark, with their usual drift settings (as in MOA and
 * River): SEA concepts, the rotating hyperplane, random RBF with moving centroids, and Friedman #1 with
 * global recurring abrupt drift (regression). Every variant observes the same rows; the score is the
 * prequential accuracy (classification) or RMSE (regression) of the predictions made before learning.
 */
import {
  FriedmanStream,
  HyperplaneStream,
  RbfStream,
  SeaStream,
  type StreamRow,
} from "../src/data/synthetic-streams.js";
import type { Learner, LearnerConfig } from "../src/learner/index.js";
import { createVariant, type Variant } from "./live-bench-variants.js";

interface Stream extends Iterator<StreamRow> {
  task: "classification" | "regression";
  driftPoints: readonly number[];
  take(n: number): Iterable<StreamRow>;
  getState(): unknown;
  setState(state: never): void;
}

export interface SyntheticSpec {
  name: string;
  doc: string;
  make: (seed: number, rows: number) => Stream;
}

export const SYNTHETIC_STREAMS: readonly SyntheticSpec[] = [
  {
    name: "SEA",
    doc: "SEA concepts, 10% label noise, 12,500 rows per concept, cycling (abrupt, recurring)",
    make: (seed) => new SeaStream({ seed }),
  },
  {
    name: "hyperplane",
    doc: "rotating hyperplane, 10 features, 2 drifting by 0.001 per row, 5% noise (incremental)",
    make: (seed) => new HyperplaneStream({ seed }),
  },
  {
    name: "RBF",
    doc: "random RBF, 50 centroids all moving 0.0001 per row (incremental)",
    make: (seed) => new RbfStream({ seed }),
  },
  {
    name: "Friedman",
    doc: "Friedman #1 regression, global recurring abrupt drift at ⅓ and ⅔ of the rows",
    make: (seed, rows) =>
      new FriedmanStream({
        seed,
        drift: "gra",
        positions: [Math.floor(rows / 3), Math.floor((2 * rows) / 3)],
      }),
  },
];

export interface SyntheticScore {
  stream: string;
  variant: string;
  task: "classification" | "regression";
  /** Prequential accuracy, or RMSE for regression. */
  score: number;
  rowsPerSecond: number;
}

/**
 * Every variant over `rows` rows of `spec`. The oracle restarts at each concept change (every tenth of
 * the run for an incremental stream), first trained on `oracleRows` rows that an independent copy of the
 * stream draws from that point on.
 *
 * @example
 * runSynthetic(SYNTHETIC_STREAMS[0], VARIANTS, { rows: 10_000, seed: 1, oracleRows: 1000 });
 */
export function runSynthetic(
  spec: SyntheticSpec,
  variants: readonly Variant[],
  o: { rows: number; seed: number; oracleRows: number },
): SyntheticScore[] {
  const stream = spec.make(o.seed, o.rows);
  const shadow = spec.make(o.seed + 7919, o.rows);
  const base: LearnerConfig = { task: stream.task, seed: o.seed };
  const every = stream.driftPoints.length > 0 ? Number.POSITIVE_INFINITY : Math.ceil(o.rows / 10);
  const runs = variants.map((v) => ({ v, learner: createVariant(v, base).learner, sum: 0, seconds: 0 }));
  let concept = -1;
  for (let i = 0; i < o.rows; i++) {
    const row = stream.next().value as StreamRow;
    const restart = row.concept !== concept || i % every === 0;
    concept = row.concept;
    for (const r of runs) {
      if (r.v.oracle && restart) r.learner = warmOracle(r.v, base, spec, shadow, o);
      const started = performance.now();
      const before = r.learner.observe(row.x, row.y);
      r.seconds += (performance.now() - started) / 1000;
      r.sum += "label" in before ? (before.label === row.y ? 1 : 0) : (before.value - row.y) ** 2;
    }
    shadow.next();
  }
  return runs.map((r) => ({
    stream: spec.name,
    variant: r.v.name,
    task: stream.task,
    score: stream.task === "classification" ? r.sum / o.rows : Math.sqrt(r.sum / o.rows),
    rowsPerSecond: o.rows / r.seconds,
  }));
}

function warmOracle(
  v: Variant,
  base: LearnerConfig,
  spec: SyntheticSpec,
  shadow: Stream,
  o: { rows: number; seed: number; oracleRows: number },
): Learner {
  const learner = createVariant(v, base).learner;
  const ahead = spec.make(o.seed + 7919, o.rows);
  ahead.setState(shadow.getState() as never);
  for (const row of ahead.take(o.oracleRows)) learner.observe(row.x, row.y);
  return learner;
}
