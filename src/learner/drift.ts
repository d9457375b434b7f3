/**
 * Drift detectors on a stream of numbers: the learner feeds them its prequential loss (or 0/1 error),
 * one value per row, and a detection is the signal to consolidate what was learnt on the old concept.
 * Both detectors keep plain, JSON-serialisable state (options included), so a learner saved mid-stream
 * and loaded again raises the same alarms at the same rows, and each detection carries its evidence
 * (where, how much data on each side, the means, the statistic against its threshold) in plain words.
 */
import { Adwin, type AdwinState } from "./adwin.js";
import { PageHinkley, type PageHinkleyState } from "./page-hinkley.js";

export {
  Adwin,
  ADWIN_OPTIONS,
  type AdwinOptions,
  type AdwinRow,
  type AdwinState,
  adwinBound,
} from "./adwin.js";
export type { DriftDetector, DriftEvidence } from "./drift-evidence.js";
export {
  PAGE_HINKLEY_OPTIONS,
  PageHinkley,
  type PageHinkleyOptions,
  type PageHinkleyState,
} from "./page-hinkley.js";

/** A drift detector's saved state, either kind. */
export type DriftDetectorState = PageHinkleyState | AdwinState;

/**
 * A detector restored from its saved state (the state names its kind and options).
 *
 * @example
 * const detector = new Adwin({ delta: 0.002 });
 * const again = driftDetectorFromState(detector.getState()); // continues exactly where it was
 */
export function driftDetectorFromState(state: DriftDetectorState): PageHinkley | Adwin {
  if (state.kind === "page-hinkley") {
    const d = new PageHinkley(state.options);
    d.setState(state);
    return d;
  }
  const d = new Adwin(state.options);
  d.setState(state);
  return d;
}
