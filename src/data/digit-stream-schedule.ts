/**
 * The schedule of the long-life digit stream (digit-stream.ts) as plain data: the concepts (which
 * digits, which pixel map, true or shuffled labels) and the phases (name, first row, length, concept),
 * so the benchmark and the docs print the same table the generator follows.
 */
import { ConfigError } from "../tensor/errors.js";

/** How a concept shows a digit: as bundled, through a fixed seeded pixel permutation, or turned 90°. */
export type PixelMap = "plain" | "permuted" | "rotated";

export interface DigitConcept {
  /** The digits this concept draws, uniformly. */
  classes: readonly number[];
  pixels: PixelMap;
  /** True: labels drawn uniformly from 0–9, whatever the digit (a burst of label noise). */
  shuffled: boolean;
}

/** What a phase tests (what the benchmark measures on it). */
export type PhaseKind = "start" | "new-labels" | "abrupt" | "gradual" | "stationary" | "recurring" | "noise";

export interface DigitPhase {
  name: string;
  kind: PhaseKind;
  /** First row (0-based) and number of rows. */
  start: number;
  length: number;
  /** The concept of the phase's rows; in a gradual phase, the one the mix moves to. */
  concept: string;
  /** Gradual phases: the concept the mix moves from (its share falls linearly from 1 to 0). */
  from?: string;
  doc: string;
}

/** The concepts, by name. */
export const DIGIT_CONCEPTS: Readonly<Record<string, DigitConcept>> = {
  "plain-0-4": { classes: [0, 1, 2, 3, 4], pixels: "plain", shuffled: false },
  "plain-0-7": { classes: [0, 1, 2, 3, 4, 5, 6, 7], pixels: "plain", shuffled: false },
  "plain-0-9": { classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], pixels: "plain", shuffled: false },
  permuted: { classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], pixels: "permuted", shuffled: false },
  rotated: { classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], pixels: "rotated", shuffled: false },
  shuffled: { classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], pixels: "plain", shuffled: true },
};

/** Rows of the full-size stream. */
export const DIGIT_STREAM_ROWS = 1_000_000;

/** The full-size schedule (1,000,000 rows); `digitSchedule(scale)` scales it. */
const FULL: readonly Omit<DigitPhase, "start">[] = [
  { name: "digits 0-4", kind: "start", length: 100_000, concept: "plain-0-4", doc: "Only digits 0–4." },
  {
    name: "new 5-7",
    kind: "new-labels",
    length: 100_000,
    concept: "plain-0-7",
    doc: "Digits 5, 6, 7 appear: labels the learner has never seen.",
  },
  {
    name: "new 8-9",
    kind: "new-labels",
    length: 150_000,
    concept: "plain-0-9",
    doc: "Digits 8 and 9 appear; from here all ten digits.",
  },
  {
    name: "permuted",
    kind: "abrupt",
    length: 150_000,
    concept: "permuted",
    doc: "Abrupt drift: a fixed seeded pixel permutation switches on.",
  },
  {
    name: "permuted→rotated",
    kind: "gradual",
    length: 100_000,
    concept: "rotated",
    from: "permuted",
    doc: "Gradual drift: each row is rotated 90° with a chance rising linearly 0 → 1, else permuted.",
  },
  { name: "rotated", kind: "stationary", length: 100_000, concept: "rotated", doc: "Digits rotated 90°." },
  {
    name: "plain returns",
    kind: "recurring",
    length: 150_000,
    concept: "plain-0-9",
    doc: "Recurring context: the plain digits of phase 3 return.",
  },
  {
    name: "shuffled burst",
    kind: "noise",
    length: 500,
    concept: "shuffled",
    doc: "A burst of labels drawn at random, whatever the digit.",
  },
  {
    name: "after burst",
    kind: "stationary",
    length: 149_500,
    concept: "plain-0-9",
    doc: "Plain digits again: does the learner recover from the noise?",
  },
];

/** Where the rows with NaN pixels sit, as fractions of the stream (one NaN row each). */
export const NAN_ROW_FRACTIONS = [0.03, 0.12, 0.27, 0.38, 0.45, 0.56, 0.66, 0.79, 0.9, 0.97] as const;

/**
 * The phase table scaled by `scale` (1: the 1,000,000-row stream; 0.02: 20,000 rows), the phases back
 * to back, each boundary rounded and each phase at least 1 row long.
 *
 * @example
 * digitSchedule(0.02).map((p) => [p.name, p.start, p.length]); // [["digits 0-4", 0, 2000], …]
 */
export function digitSchedule(scale = 1): DigitPhase[] {
  if (!(Number.isFinite(scale) && scale > 0))
    throw new ConfigError(`digit stream scale: expected a positive number, got ${scale}`, { field: "scale" });
  // Rounding the full-size boundaries (not the lengths) keeps the total at round(1,000,000 · scale).
  let fullStart = 0;
  let start = 0;
  return FULL.map((p) => {
    fullStart += p.length;
    const end = Math.max(start + 1, Math.round(fullStart * scale));
    const phase = { ...p, start, length: end - start };
    start = end;
    return phase;
  });
}

/** Rows of a schedule. */
export function scheduleRows(schedule: readonly DigitPhase[]): number {
  const last = schedule[schedule.length - 1];
  return last.start + last.length;
}

/** The rows (0-based) that carry NaN pixels in a stream of `rows` rows. */
export function nanRows(rows: number): number[] {
  return [...new Set(NAN_ROW_FRACTIONS.map((f) => Math.floor(f * rows)))];
}
