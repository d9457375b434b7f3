/**
 * What every drift detector shares: the evidence of a detection and the small interface the learner
 * uses (drift.ts gathers the detectors).
 */
import { DataError } from "../tensor/errors.js";

/** What a detector saw when it fired: enough to say in one sentence why it believes the stream changed. */
export interface DriftEvidence {
  detector: "page-hinkley" | "adwin";
  /** Values seen by this detector, counting the one that fired (1-based; never reset by a detection). */
  step: number;
  /** Values on the old side of the estimated change, and their mean. */
  windowBefore: number;
  meanBefore: number;
  /** Values on the new side, and their mean. */
  windowAfter: number;
  meanAfter: number;
  /** The test statistic and the threshold it crossed. */
  statistic: number;
  threshold: number;
  message: string;
}

/** The part of every detector the learner uses; `getState` / `setState` round-trip exactly. */
export interface DriftDetector {
  readonly kind: "page-hinkley" | "adwin";
  /** Take one value; true when a drift is detected at this value. */
  update(x: number): boolean;
  /** The evidence of the latest detection, or null before the first. */
  readonly last: DriftEvidence | null;
  /** Detections so far. */
  readonly detections: number;
  getState(): { kind: "page-hinkley" | "adwin"; step: number; detections: number };
}

/** Three significant digits, without trailing zeros (1.5, not 1.50). */
export const fmt = (v: number): string => String(Number(v.toPrecision(3)));

export function requireFinite(x: number, detector: string, step: number): void {
  if (!Number.isFinite(x)) {
    throw new DataError(`${detector}: value ${step + 1} must be a finite number, got ${x}`);
  }
}
