/** Friedman #1 with drift, the regression stream of synthetic-streams.ts. */
import { type OptionSpec, type ParsedOptions, parseOptions } from "../config/options.js";
import { ConfigError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import { type BaseState, COUNT, SEED, type StreamRow, SyntheticStream } from "./synthetic-stream-base.js";

export type FriedmanDriftKind = "lea" | "gra" | "gsg";
const FRIEDMAN_OPTIONS = {
  seed: SEED,
  drift: { kind: "choice", values: ["lea", "gra", "gsg"], default: "lea", doc: "Kind of drift." },
  transitionWindow: COUNT(10_000, "Rows over which a gradual (gsg) change mixes the two concepts.", 0),
  noiseStd: { kind: "number", min: 0, default: 1, doc: "Standard deviation of the target's normal noise." },
} as const satisfies Record<string, OptionSpec>;

export type FriedmanOptions = Partial<
  ParsedOptions<typeof FRIEDMAN_OPTIONS> & {
    /** Drift points: three for "lea", two for "gra" and "gsg". */
    positions: number[];
  }
>;
export type FriedmanState = BaseState<Required<FriedmanOptions>>;

/** Friedman #1's concepts (x 0-based); each concept permutes which features matter. */
const friedman1 = (x: Float32Array, a: number, b: number, c: number, d: number, e: number): number =>
  10 * Math.sin(Math.PI * x[a] * x[b]) + 20 * (x[c] - 0.5) ** 2 + 10 * x[d] + 5 * x[e];

/**
 * Friedman #1 with drift (Ikonomovska, Gama & Džeroski 2011, "Learning model trees from evolving data
 * streams"; River's `FriedmanDrift`): ten features uniform in [0, 1], y = 10 sin(π x0 x1) + 20 (x2 − ½)²
 * + 10 x3 + 5 x4 + N(0, noiseStd²).
 * - "lea", local expanding abrupt: from each of the three positions on, two regions of the input space
 *   follow other functions, and the regions grow at each position (`concept` = positions passed).
 * - "gra", global recurring abrupt: between the two positions the features swap roles everywhere; after
 *   the second the first concept returns (`concept` 0, 1, 0).
 * - "gsg", global slow gradual: at each position a new concept starts, mixed half and half with the old
 *   one over `transitionWindow` rows (`concept` 0, 1, 2: the one that made the row).
 *
 * @example
 * const reg = new FriedmanStream({ seed: 1, drift: "gra", positions: [50_000, 100_000] });
 */
export class FriedmanStream extends SyntheticStream<Required<FriedmanOptions>, FriedmanState> {
  readonly task = "regression";
  readonly inputs = 10;
  readonly driftPoints: readonly number[];

  constructor(options: FriedmanOptions = {}) {
    const { positions, ...rest } = options;
    const o = parseOptions(rest, FRIEDMAN_OPTIONS, "friedman");
    const p = positions ?? (o.drift === "lea" ? [50_000, 100_000, 150_000] : [50_000, 100_000]);
    const count = o.drift === "lea" ? 3 : 2;
    const increasing = p.every((v, i) => Number.isInteger(v) && v > 0 && (i === 0 || v > p[i - 1]));
    if (p.length !== count || !increasing) {
      throw new ConfigError(
        `friedman.positions: drift "${o.drift}" needs ${count} increasing positive integers, got ${JSON.stringify(p)}`,
        { field: "friedman.positions" },
      );
    }
    super({ options: { ...o, positions: [...p] }, step: 0, rng: new Rng(o.seed).getState() });
    this.driftPoints = p;
  }

  protected row(): StreamRow {
    const x = this.uniforms(10);
    const coin = this.rng.next() < 0.5;
    const { concept, y } = this.target(x, coin);
    return { x, y: y + this.s.options.noiseStd * this.rng.normal(), concept };
  }

  /** The noiseless target of `x` at the current step, and which concept made it. */
  private target(x: Float32Array, coin: boolean): { concept: number; y: number } {
    const { drift, positions, transitionWindow } = this.s.options;
    const t = this.s.step;
    const passed = positions.filter((p) => t >= p).length;
    if (drift === "lea") return { concept: passed, y: expandingRegions(x, passed) };
    if (drift === "gra")
      return {
        concept: passed % 2,
        y: passed === 1 ? friedman1(x, 3, 5, 1, 0, 2) : friedman1(x, 0, 1, 2, 3, 4),
      };
    const mixing = passed > 0 && t < positions[passed - 1] + transitionWindow && coin;
    const concept = mixing ? passed - 1 : passed;
    const roles = [
      [0, 1, 2, 3, 4],
      [3, 4, 1, 0, 2],
      [1, 4, 3, 2, 0],
    ][concept];
    return { concept, y: friedman1(x, roles[0], roles[1], roles[2], roles[3], roles[4]) };
  }
}

/** "lea": the two regions that follow other functions once `passed` drift points are behind. */
function expandingRegions(x: Float32Array, passed: number): number {
  // Each drift point drops one condition (on x4, then on x3), so the regions grow.
  const low = x[1] < 0.3 && x[2] < 0.3 && (passed >= 3 || (x[3] > 0.7 && (passed >= 2 || x[4] < 0.3)));
  const high = x[1] > 0.7 && x[2] > 0.7 && (passed >= 3 || (x[3] < 0.3 && (passed >= 2 || x[4] > 0.7)));
  if (passed > 0 && low) return 10 * x[0] * x[1] + 20 * (x[2] - 0.5) + 10 * x[3] + 5 * x[4];
  if (passed > 0 && high)
    return 10 * Math.cos(x[0] * x[1]) + 20 * (x[2] - 0.5) + Math.exp(x[3]) + 5 * x[4] ** 2;
  return friedman1(x, 0, 1, 2, 3, 4);
}
