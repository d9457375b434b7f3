/**
 * The bundled digits as a long-life stream (issue 17's benchmark): a seeded, lazy iterator of a million
 * rows (or a scaled-down schedule) in which new labels appear, an abrupt drift switches on, a gradual
 * drift mixes two concepts, an earlier concept returns, a burst of labels is shuffled and a few rows
 * carry NaN pixels. The schedule is the plain table of digit-stream-schedule.ts; every row says which
 * phase and concept made it, so a benchmark can score each phase on its own.
 */
import { ConfigError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import {
  DIGIT_CONCEPTS,
  type DigitConcept,
  type DigitPhase,
  digitSchedule,
  nanRows,
  type PixelMap,
  scheduleRows,
} from "./digit-stream-schedule.js";
import { loadBundledMnist } from "./mnist.js";

export * from "./digit-stream-schedule.js";

const SIDE = 28;
const PIXELS = SIDE * SIDE;

export interface DigitRow {
  /** 784 pixels in [0, 1] (NaN in a few cells of a fault row). */
  x: Float32Array;
  /** The label (0–9); in the shuffled burst, drawn at random. */
  y: number;
  /** The row's position in the stream (0-based). */
  index: number;
  /** Index of the phase in the schedule, and the concept that made this row. */
  phase: number;
  concept: string;
  /** "nan": pixels are NaN, a learner must refuse the row. */
  fault: "nan" | null;
}

export interface DigitStreamOptions {
  /** Seeds the digit draws, the label noise and the pixel permutation (default 0). */
  seed?: number;
  /** Multiplies every phase's length (default 1: 1,000,000 rows; 0.02: 20,000). */
  scale?: number;
}

/** The 10,000 bundled digits (train and test splits together), and each class's row numbers. */
interface DigitPool {
  x: Float32Array;
  byClass: Int32Array[];
}
let pool: DigitPool | undefined;

function digitPool(): DigitPool {
  if (pool) return pool;
  const { train, test } = loadBundledMnist();
  const x = new Float32Array((train.n + test.n) * PIXELS);
  x.set(train.x);
  x.set(test.x, train.n * PIXELS);
  const labels = [...train.labels!, ...test.labels!];
  const byClass = Array.from({ length: 10 }, (_, c) =>
    Int32Array.from(labels.flatMap((l, i) => (l === c ? [i] : []))),
  );
  pool = { x, byClass };
  return pool;
}

/**
 * The pixel maps of a seed: `map[i]` is the source pixel of output pixel i. "permuted" is a seeded
 * permutation (as in Permuted MNIST, Goodfellow et al. 2013); "rotated" turns the image 90° clockwise.
 *
 * @example
 * pixelMaps(1).permuted.length; // 784
 */
export function pixelMaps(seed: number): Record<PixelMap, Int32Array> {
  const plain = Int32Array.from({ length: PIXELS }, (_, i) => i);
  const permuted = new Rng(seed).fork("digit-stream-permutation").permutation(PIXELS);
  // Output (r, c) of a clockwise turn shows input (SIDE-1-c, r).
  const rotated = Int32Array.from({ length: PIXELS }, (_, i) => {
    const r = Math.floor(i / SIDE);
    const c = i % SIDE;
    return (SIDE - 1 - c) * SIDE + r;
  });
  return { plain, permuted, rotated };
}

/**
 * A seeded, lazy stream of digit rows following `digitSchedule(scale)`; it ends after the schedule's
 * last row. Two streams with the same options yield the same rows.
 *
 * @example
 * const stream = new DigitStream({ seed: 1, scale: 0.02 }); // 20,000 rows
 * for (const row of stream) learner.observe(row.x, row.y); // refuse row.fault rows
 */
export class DigitStream implements IterableIterator<DigitRow> {
  readonly schedule: readonly DigitPhase[];
  readonly rows: number;
  /** Rows that carry NaN pixels. */
  readonly faults: readonly number[];
  private readonly maps: Record<PixelMap, Int32Array>;
  private readonly rng: Rng;
  private readonly faultRng: Rng;
  private readonly faultSet: Set<number>;
  private at = 0;
  private phase = 0;

  constructor(options: DigitStreamOptions = {}) {
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed))
      throw new ConfigError(`digit stream seed: expected an integer, got ${seed}`, { field: "seed" });
    this.schedule = digitSchedule(options.scale ?? 1);
    this.rows = scheduleRows(this.schedule);
    this.faults = nanRows(this.rows);
    this.faultSet = new Set(this.faults);
    this.maps = pixelMaps(seed);
    const rng = new Rng(seed);
    this.rng = rng.fork("digit-stream-rows");
    this.faultRng = rng.fork("digit-stream-faults");
  }

  next(): IteratorResult<DigitRow, undefined> {
    if (this.at >= this.rows) return { value: undefined, done: true };
    while (this.at >= this.schedule[this.phase].start + this.schedule[this.phase].length) this.phase++;
    const row = makeRow(this.schedule, this.phase, this.at, this.rng, this.maps);
    if (this.faultSet.has(this.at)) {
      row.fault = "nan";
      // A few cells, one always: the learner must refuse the whole row.
      const cells = 1 + this.faultRng.int(3);
      for (let k = 0; k < cells; k++) row.x[this.faultRng.int(PIXELS)] = Number.NaN;
    }
    this.at++;
    return { value: row, done: false };
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** Rows produced so far. */
  get position(): number {
    return this.at;
  }

  /**
   * `n` fresh rows of phase `phase`, spread evenly over its span (so a gradual phase's sample covers
   * its whole mix), drawn with `seed`: what an oracle that knew the concept could train on. No faults.
   */
  phaseSample(phase: number, n: number, seed: number): DigitRow[] {
    const p = this.schedule[phase];
    if (!p) throw new ConfigError(`digit stream: no phase ${phase}`, { field: "phase" });
    const rng = new Rng(seed).fork(`digit-stream-phase-${phase}`);
    return Array.from({ length: n }, (_, i) =>
      makeRow(this.schedule, phase, p.start + Math.floor((i * p.length) / n), rng, this.maps),
    );
  }
}

/** The row at `index` of phase `phase`, drawn from `rng`. */
function makeRow(
  schedule: readonly DigitPhase[],
  phase: number,
  index: number,
  rng: Rng,
  maps: Record<PixelMap, Int32Array>,
): DigitRow {
  const p = schedule[phase];
  // Four draws per row whatever the phase (the mix, the class, the image, a random label), so a
  // phase's rows do not depend on what the phases before it drew.
  const mix = rng.next();
  const name = p.from !== undefined && mix >= (index - p.start + 0.5) / p.length ? p.from : p.concept;
  const concept = conceptOf(name);
  const digit = concept.classes[rng.int(concept.classes.length)];
  const { x: images, byClass } = digitPool();
  const members = byClass[digit];
  const image = members[rng.int(members.length)];
  const noisyLabel = rng.int(10);
  const map = maps[concept.pixels];
  const x = new Float32Array(PIXELS);
  const base = image * PIXELS;
  for (let i = 0; i < PIXELS; i++) x[i] = images[base + map[i]];
  return { x, y: concept.shuffled ? noisyLabel : digit, index, phase, concept: name, fault: null };
}

function conceptOf(name: string): DigitConcept {
  const c = DIGIT_CONCEPTS[name];
  if (!c) throw new ConfigError(`digit stream: unknown concept "${name}"`, { field: "concept" });
  return c;
}
