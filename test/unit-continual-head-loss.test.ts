/**
 * headLoss's two forms against closed forms: the fused one (logits) and the one for models without a
 * softmax output (probabilities renormalised over the allowed units), in the class and task scenarios,
 * at a stage before the last so that "the units of tasks 0..stage" is told apart from its neighbours.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { headLoss } from "../src/continual/index.js";
import { Tensor } from "../src/tensor/tensor.js";
import { near, tinyStream } from "./helpers/continual.js";

/** Three tasks of two classes over six units; one row per class is enough for the masks. */
const tasks = [0, 1, 2].map((t) => ({ x: [[t]], labels: [2 * t], classes: [2 * t, 2 * t + 1] }));
const Z = [0.3, -1.2, 2.0, 0.7, 1.5, -0.4, 1.1, 0.2, -0.9, 2.4, 0.6, -1.7];
const P = [0.05, 0.1, 0.2, 0.25, 0.3, 0.1, 0.3, 0.05, 0.15, 0.2, 0.1, 0.2];
/** Rows labelled 0 (task 0) and 3 (task 1). */
const LABELS = [0, 3];
const target = (): Tensor => {
  const y = new Float32Array(12);
  LABELS.forEach((u, r) => {
    y[r * 6 + u] = 1;
  });
  return new Tensor(y, [2, 6]);
};

/** −mean_r log( w_r[label_r] / Σ_{u allowed for row r} w_r[u] ), with w = exp(z) or p. */
function closedForm(w: number[], allowed: (row: number) => number[]): number {
  const terms = LABELS.map((u, r) => {
    const row = w.slice(r * 6, r * 6 + 6);
    return -Math.log(row[u] / allowed(r).reduce((s, k) => s + row[k], 0));
  });
  return terms.reduce((a, b) => a + b, 0) / terms.length;
}

test("class scenario at stage 1: every row over the units of tasks 0 and 1, logits and probabilities alike", () => {
  const loss = headLoss(tinyStream("class", 6, tasks), 1);
  assert.equal(loss.name, "crossEntropy");
  assert.equal(loss.fused?.activation, "softmax");
  const seen = () => [0, 1, 2, 3];
  const z = new Tensor(Float32Array.from(Z), [2, 6]);
  near(loss.fused!.fromLogits(z, target()).item(), closedForm(Z.map(Math.exp), seen), 1e-5, "from logits");
  const p = new Tensor(Float32Array.from(P), [2, 6]);
  near(loss.fromOutputs(p, target()).item(), closedForm(P, seen), 1e-5, "from probabilities");
});

test("task scenario: each row over its own task's units only, logits and probabilities alike", () => {
  const loss = headLoss(tinyStream("task", 6, tasks), 2);
  const own = (r: number) => (r === 0 ? [0, 1] : [2, 3]);
  const z = new Tensor(Float32Array.from(Z), [2, 6]);
  near(loss.fused!.fromLogits(z, target()).item(), closedForm(Z.map(Math.exp), own), 1e-5, "from logits");
  const p = new Tensor(Float32Array.from(P), [2, 6]);
  near(loss.fromOutputs(p, target()).item(), closedForm(P, own), 1e-5, "from probabilities");
});
