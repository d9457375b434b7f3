/**
 * Detector findings word for word, at their limits: divergence at exactly divergenceFactor × the
 * first loss (not yet) and just above it, non-finite weights or gradients with the evidence of the
 * finite one, and collinear features whose null direction holds the bias (printed as "1") or that
 * only a row with NaN would hide.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  detectDivergence,
  detectExplodingGradients,
  detectNonFiniteWeights,
} from "../src/health/detectors.js";
import { DEFAULT_THRESHOLDS, type TrainingPicture } from "../src/health/findings.js";
import { checkBeforeTraining, type DataToCheck } from "../src/health/index.js";
import type { LayerStatistics } from "../src/health/statistics.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";

test("divergence: the loss at 3× the first is not yet; above it, the factor, words and advice", () => {
  const p = (lossMeans: number[]) => ({ lossMeans }) as unknown as TrainingPicture;
  assert.equal(
    detectDivergence(p([0.5, 1.5]), DEFAULT_THRESHOLDS),
    null,
    "exactly divergenceFactor (3) × 0.5",
  );
  assert.deepEqual(detectDivergence(p([0.5, 0.7, 2]), DEFAULT_THRESHOLDS), {
    kind: "divergence",
    evidence: { loss: 2, initialLoss: 0.5, factor: 4 },
    diagnosis:
      "the loss is 4.0× higher than at the start (2.00 vs 0.500): training is diverging, usually a learning rate that is too high",
    action: "roll back to the last healthy weights and cut the learning rate",
  });
});

test("non-finite weights or gradients: the finite norm kept as evidence, the other -1", () => {
  const layer = (name: string, weightNorm: number, gradNorm: number) =>
    ({ layer: name, weightNorm, gradNorm }) as LayerStatistics;
  const p = { layers: [layer("0", 1, 2), layer("1", 3, Number.NaN)] } as unknown as TrainingPicture;
  assert.deepEqual(detectNonFiniteWeights(p, DEFAULT_THRESHOLDS), {
    kind: "nonFinite",
    layer: "1",
    evidence: { weightNorm: 3, gradNorm: -1 },
    diagnosis:
      "the gradients of layer 1 hold NaN or infinite values while the loss still looks finite: NaN inputs (hidden by ReLU) or an overflow corrupted them",
    action: "roll back to the last healthy weights and cut the learning rate; check the data for NaN cells",
  });
});

/** 40 rows of features a, b (and c = `c(a, b)`), one regression target. */
function features(c: (a: number, b: number) => number): DataToCheck {
  const n = 40;
  const x = new Float32Array(n * 3);
  for (let r = 0; r < n; r++) {
    const [a, b] = [Math.sin(r), Math.cos(2.7 * r)];
    x.set([a, b, c(a, b)], r * 3);
  }
  return {
    x,
    y: new Float32Array(n),
    n,
    inputDim: 3,
    outputDim: 1,
    task: "regression",
    featureNames: ["a", "b", "c"],
  };
}

const kindsOf = (d: DataToCheck) =>
  checkBeforeTraining(d, new Sequential([new Dense(1)]).build(3, new Rng(0)), "mse");

test("collinear features: a null direction through the bias prints it as 1; its layer, evidence and advice", () => {
  const [e] = kindsOf(features((a) => 2 * a + 1));
  assert.deepEqual(
    [e.kind, e.layer, e.evidence],
    ["collinearFeatures", "input", { rank: 3, columns: 4, redundant: 1 }],
  );
  // The null direction is ∝ (2, 0, −1, 1) over (a, b, c, bias): b and only b is left out.
  assert.match(e.diagnosis, /have rank 3 of 4: \S+·a \+ \S+·c \+ \S+·1 = 0 on every row/);
  assert.equal(e.action, "drop or combine the redundant features; only their combinations can be learned");
});

test("the rank is taken over the rows without NaN: one row breaking c = a + b with NaN hides nothing", () => {
  const d = features((a, b) => a + b);
  d.x[5 * 3 + 2] = Number.NaN; // row 5's c
  d.x[6 * 3 + 1] = Number.NaN; // row 6's b
  const events = kindsOf(d);
  assert.deepEqual(
    events.map((e) => e.kind),
    ["nonFiniteData", "collinearFeatures"],
  );
});

test("exploding gradients: by the layer ratio (above 70) or by a jump (above 100× the median), each in its words", () => {
  const p = (first: number, out: number, gradNorm: number, median: number) =>
    ({
      layers: [
        { layer: "0", gradNorm: first },
        { layer: "2", gradNorm: out },
      ],
      gradNorm,
      firstGradNorm: 1,
      gradNormMedian: median,
    }) as unknown as TrainingPicture;
  assert.equal(detectExplodingGradients(p(70, 1, 2, 1), DEFAULT_THRESHOLDS), null, "a ratio of exactly 70");
  assert.deepEqual(detectExplodingGradients(p(80, 1, 2, 1), DEFAULT_THRESHOLDS), {
    kind: "explodingGradients",
    layer: "0",
    evidence: { gradNorm: 2, firstLayerGradNorm: 80, lastLayerGradNorm: 1, ratio: 80, growth: 2 },
    diagnosis:
      "the gradient of layer 0 is 80× that of the output layer: gradients grow as they flow back (weights initialised too large, or a network too deep for its initialisation)",
    action: "turn on global-norm gradient clipping",
  });
  const jump = detectExplodingGradients(p(1, 1, 250, 2), DEFAULT_THRESHOLDS);
  assert.deepEqual([jump?.evidence.ratio, jump?.evidence.growth], [1, 125]);
  assert.match(
    jump?.diagnosis ?? "",
    /^the gradient norm jumped to 125× its usual size \(2\.5\d*e\+2\): one bad step/,
  );
  const both = detectExplodingGradients(p(70, 1, 250, 2), DEFAULT_THRESHOLDS);
  assert.match(
    both?.diagnosis ?? "",
    /^the gradient norm jumped/,
    "at a ratio of exactly 70 the jump is what is said",
  );
});
