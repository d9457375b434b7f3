/**
 * Two corners of the monitor no other unit test reaches: the plasticity diagnosis when a rank could
 * not be measured (an eigensolve skipped or failed: NaN), and a check on a model without unit layers
 * (its loss and gradient norm recorded, no picture for the detectors).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THRESHOLDS } from "../src/health/findings.js";
import { countBatch, takePicture } from "../src/health/observer.js";
import { freshState } from "../src/health/state.js";
import type { PlasticityReading } from "../src/health/vital-rules.js";
import { plasticityDiagnosis } from "../src/health/vitals.js";
import type { TrainingControl } from "../src/train/events.js";
import { batchEvent } from "./helpers/control.js";

test("plasticity words: a rank not measured (NaN) is said so, measured ones to three digits", () => {
  const signals = (loss: number, effectiveRank: number, stableRank: number) => ({
    loss,
    dormant: 0.1,
    effectiveRank,
    stableRank,
    weightChange: 0,
  });
  const r: PlasticityReading = {
    now: signals(1.2, Number.NaN, 2),
    base: signals(1, 8, Number.POSITIVE_INFINITY),
    lossUp: true,
    dormantUp: false,
    dormantMost: false,
    rankDown: true,
    reference: { loss: 1, check: 5 },
    holds: true,
    from: 9,
  };
  assert.equal(
    plasticityDiagnosis(r, { window: 3, depth: 2 } as Parameters<typeof plasticityDiagnosis>[1], [3, 5], 11),
    "the online loss on new data averaged 1.20 over the last 3 checks (checks 9–11), 20% above its baseline 1.00 (checks 3–5, early in the run), while in the last 2 hidden layers the effective rank fell from 8.00 to not measured (stable rank not measured → 2.00): the network is losing its plasticity (Dohare et al. 2024)",
  );
});

test("a check on a model without unit layers: its loss and gradient norm (0) kept, no picture", () => {
  const s = freshState(0);
  const e = batchEvent(4, { loss: 2.5, x: [[1], [2]] });
  const control = { parameters: [] } as unknown as TrainingControl;
  countBatch(s, e, []); // two rows of loss 2.5
  assert.deepEqual(
    takePicture(s, e, control, [], [], DEFAULT_THRESHOLDS, { stableRank: false, change: [], weights: true }),
    { picture: null, gradNorm: 0 },
  );
  assert.deepEqual(s.lossMeans, [2.5]);
  assert.deepEqual(s.gradNorms, [0]);
  assert.equal(s.checks, 1);
});
