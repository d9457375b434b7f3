/**
 * Measures of a continual learner, all from the accuracy matrix R (R[i][j] = accuracy on task j's test
 * rows after training tasks 0..i) and the baseline b (b[j] = accuracy on task j of the model at its
 * random initialisation). Accuracies are fractions in [0, 1]; so are the measures (a BWT of −0.05 is
 * five points lost).
 *
 * - ACC, BWT, FWT: Lopez-Paz & Ranzato (2017), "Gradient Episodic Memory for Continual Learning", §4.
 * - Forgetting and intransigence: Chaudhry, Dokania, Ajanthan & Torr (2018), "Riemannian Walk for
 *   Incremental Learning", §4 (forgetting: eq. 1–2; intransigence: eq. 3).
 */
import { ConfigError } from "../tensor/errors.js";

/** Forgetting in the two forms the literature uses, overall and per task. */
export interface ForgettingMeasures {
  /**
   * Chaudhry et al. 2018: for each task j < T−1, f_j = max over l in 0..T−2 of R[l][j], minus R[T−1][j]
   * (the most the model ever knew of task j, minus what it knows at the end); the mean over j.
   */
  maxOverEarlier: number;
  /** "Last minus just-trained", as a loss: mean over j < T−1 of R[j][j] − R[T−1][j] (= −BWT). */
  justTrainedMinusLast: number;
  perTaskMaxOverEarlier: number[];
  perTaskJustTrainedMinusLast: number[];
}

/**
 * The measures of a continual run read off its accuracy matrix R (Lopez-Paz & Ranzato 2017; Chaudhry et al. 2018).
 */
export interface ContinualMeasures {
  /** Mean final accuracy over all tasks: (1/T) Σ_j R[T−1][j]. */
  ACC: number;
  /** Backward transfer: (1/(T−1)) Σ_{j<T−1} (R[T−1][j] − R[j][j]); negative = forgetting. */
  BWT: number;
  /** Forward transfer: (1/(T−1)) Σ_{j>0} (R[j−1][j] − b[j]); accuracy on a task before training it, over chance. */
  FWT: number;
  forgetting: ForgettingMeasures;
  /**
   * Chaudhry et al. 2018: for each task k, a*_k − R[k][k], where a*_k is the accuracy on task k of a
   * joint model trained on tasks 0..k (its own R[k][k]); the mean over k. Null without a joint reference.
   */
  intransigence: number | null;
  perTaskIntransigence: number[] | null;
}

/**
 * Every measure of one run, from its accuracy matrix and baseline (and optionally a joint model's R).
 *
 * @example
 * continualMeasures([[0.9, 0.1], [0.6, 0.95]], [0.1, 0.1]).BWT; // 0.6 − 0.9 = −0.3
 */
export function continualMeasures(
  R: readonly (readonly number[])[],
  b: readonly number[],
  jointR?: readonly (readonly number[])[],
): ContinualMeasures {
  checkMatrix(R, "R");
  const t = R.length;
  if (b.length !== t)
    throw new ConfigError(`b: expected ${t} baseline accuracies (one per task), got ${b.length}`, {
      field: "b",
    });
  const last = R[t - 1];
  const earlier = range(t - 1);
  const later = range(t).slice(1);
  const perMax = earlier.map((j) => Math.max(...range(t - 1).map((l) => R[l][j])) - last[j]);
  const perLast = earlier.map((j) => R[j][j] - last[j]);
  let intransigence: number | null = null;
  let perTaskIntransigence: number[] | null = null;
  if (jointR) {
    checkMatrix(jointR, "jointR");
    if (jointR.length !== t)
      throw new ConfigError(`jointR: expected a ${t}×${t} matrix, got ${jointR.length} rows`, {
        field: "jointR",
      });
    perTaskIntransigence = range(t).map((k) => jointR[k][k] - R[k][k]);
    intransigence = mean(perTaskIntransigence);
  }
  return {
    ACC: mean(last),
    // Stryker disable next-line EqualityOperator: with t = 1 there is no earlier task, and the mean of none is 0
    BWT: t > 1 ? mean(earlier.map((j) => last[j] - R[j][j])) : 0,
    // Stryker disable next-line EqualityOperator: with t = 1 there is no later task, and the mean of none is 0
    FWT: t > 1 ? mean(later.map((j) => R[j - 1][j] - b[j])) : 0,
    forgetting: {
      // Stryker disable next-line EqualityOperator: with t = 1 there is no earlier task, and the mean of none is 0
      maxOverEarlier: t > 1 ? mean(perMax) : 0,
      // Stryker disable next-line EqualityOperator: with t = 1 there is no earlier task, and the mean of none is 0
      justTrainedMinusLast: t > 1 ? mean(perLast) : 0,
      perTaskMaxOverEarlier: perMax,
      perTaskJustTrainedMinusLast: perLast,
    },
    intransigence,
    perTaskIntransigence,
  };
}

/**
 * R as a terminal table in percent: one row per training stage ("after 3"), one column per task.
 *
 * @example
 * console.log(formatAccuracyMatrix([[0.99, 0.5], [0.7, 0.98]], ["0/1", "2/3"]));
 */
export function formatAccuracyMatrix(R: readonly (readonly number[])[], names?: readonly string[]): string {
  const t = R[0]?.length ?? 0;
  const heads = range(t).map((j) => names?.[j] ?? `task ${j + 1}`);
  const width = Math.max(6, ...heads.map((h) => h.length));
  // Stryker disable next-line ArithmeticOperator: the label is wider than 11 characters only from stage 100,000 on
  const label = Math.max(11, ...R.map((_, i) => `after ${names?.[i] ?? i + 1}`.length));
  const pad = (s: string, w: number): string => s.padStart(w);
  const lines = [
    `${"R (% right)".padEnd(label)} │ ${heads.map((h) => pad(h, width)).join(" ")} │ ${pad("mean", 6)}`,
    `${"─".repeat(label)}─┼─${heads.map(() => "─".repeat(width)).join("─")}─┼─${"─".repeat(6)}`,
  ];
  R.forEach((row, i) => {
    const seen = row.slice(0, i + 1);
    const cells = row.map((v) => pad((100 * v).toFixed(1), width)).join(" ");
    lines.push(
      `${`after ${names?.[i] ?? i + 1}`.padEnd(label)} │ ${cells} │ ${pad((100 * mean(seen)).toFixed(1), 6)}`,
    );
  });
  lines.push(`${"".padEnd(label)}   (mean: over the tasks trained so far)`);
  return lines.join("\n");
}

function checkMatrix(R: readonly (readonly number[])[], field: string): void {
  const t = R.length;
  if (t === 0 || R.some((row) => row.length !== t)) {
    throw new ConfigError(`${field}: expected a square T×T accuracy matrix with T ≥ 1`, { field });
  }
  for (const row of R)
    for (const v of row)
      if (!(v >= 0 && v <= 1))
        throw new ConfigError(`${field}: accuracies must be fractions in [0, 1], got ${v}`, { field });
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((s, v) => s + v, 0) / xs.length;
}

function range(n: number): number[] {
  return Array.from({ length: Math.max(0, n) }, (_, i) => i);
}
