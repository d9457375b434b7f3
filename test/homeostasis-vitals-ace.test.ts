// The vitals loop's asymmetric replay (ER-ACE, Caccia et al. 2022) and the forgetting probe's choice of
// the segment to let go, against values computed by hand (closed-form softmax cross-entropy).
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import { segmentToDrop } from "../src/health/vital-rules.js";
import { aceMasks, aceTerm, markClasses } from "../src/homeostasis/vital-ace.js";
import { vitals } from "../src/homeostasis/vital-loop.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { TrainingControl } from "../src/train/events.js";

const oneHot = (labels: number[], c: number): Tensor => {
  const y = new Float32Array(labels.length * c);
  labels.forEach((l, r) => {
    y[r * c + l] = 1;
  });
  return new Tensor(y, [labels.length, c]);
};

test("classes seen: marked from the given rows, the mask grown with the targets", () => {
  const seen = markClasses(new Float32Array(2), oneHot([1, 3, 2], 4), 0, 2);
  assert.deepEqual([...seen], [0, 1, 0, 1]); // row 2 (label 2) is outside rows 0–1
});

test("masks: a new row keeps the new rows' classes, a replayed row every class seen", () => {
  const m = aceMasks(oneHot([2, 2, 0], 3), 2, Float32Array.from([1, 1, 1]));
  assert.deepEqual([...m.data], [0, 0, 1, 0, 0, 1, 1, 1, 1]);
});

test("the term: ER-ACE's loss minus the loss over the seen classes, by hand", () => {
  // Row 0 new (label 0), row 1 replayed (label 1); classes 0 and 1 seen, class 2 not.
  const y = oneHot([0, 1], 3);
  const z = new Tensor(Float32Array.from([1, 2, 5, 0.5, -1, 3]), [2, 3], true);
  const seen = Float32Array.from([1, 1, 0]);
  const t = aceTerm({ x: new Tensor(new Float32Array(2), [2, 1]), y }, z, 1, seen)!;
  // Row 0 alone among its batch's classes: loss 0 in ER-ACE; over the seen classes −ln(e¹/(e¹+e²)) =
  // ln(1 + e) = 1.31326. Row 1's loss is the same in both and cancels; the mean is over 2 rows.
  assert.ok(Math.abs(t.item() - -Math.log(1 + Math.E) / 2) < 1e-6, `${t.item()}`);
  // Gradient: −(softmax over {0, 1} − onehot)/2 on row 0 = −([0.26894, 0.73106] − [1, 0])/2; none elsewhere.
  const [g] = grad(t, [z]);
  const p0 = 1 / (1 + Math.E);
  const expected = [(1 - p0) / 2, -(1 - p0) / 2, 0, 0, 0, 0];
  [...g.data].forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${i}: ${v} vs ${expected[i]}`));
  // Added to the head's loss over the seen classes, row 0's gradient cancels: learned from class 0 alone.
  assert.equal(aceTerm({ x: z, y }, z, 2, seen), null, "no replayed rows: no term");
});

test("the segment to let go: the oldest whose labels another segment also holds", () => {
  const seg = (labels: number[]) => ({ y: oneHot(labels, 4).data as Float32Array, rows: labels.length });
  // Segment 0 alone holds label 0 (an earlier task's): kept; segment 1's labels {1} are also in 2.
  assert.equal(segmentToDrop([seg([0, 0]), seg([1, 1]), seg([1, 2]), seg([2, 3])]), 1);
  // Every segment holds a label of its own: the oldest goes.
  assert.equal(segmentToDrop([seg([0]), seg([1]), seg([2])]), 0);
  // A stationary stream (the same labels everywhere): the oldest goes, as before.
  assert.equal(segmentToDrop([seg([0, 1, 2]), seg([2, 1, 0]), seg([1, 0, 2])]), 0);
});

test("the loop: the asymmetric term only with its knob on, replay on and a softmax output; kept in its state", () => {
  const model = (activation: "softmax" | "linear") =>
    new Sequential([new Dense(3, { activation })]).build(2, new Rng(1));
  const batch = (labels: number[]) => ({
    x: new Tensor(Float32Array.from(labels.flatMap((l) => [l, 1 - l])), [labels.length, 2]),
    y: oneHot(labels, 3),
  });
  const stepOf = (loop: ReturnType<typeof vitals>, c: TrainingControl, labels: number[]) => {
    const b = loop.transformBatch!(batch(labels), c)!;
    const logits = c.model.forwardLinear(b.x, { training: true });
    return { b, term: loop.lossTerm!({ batch: b, logits, parameters: [], step: 0, epoch: 0 }, c) };
  };
  const c = { model: model("softmax") } as unknown as TrainingControl;
  const first = vitals({ plasticity: false, seed: 1 });
  stepOf(first, c, [0, 1, 0, 1]); // the reservoir and the classes seen: 0 and 1
  assert.equal(stepOf(first, c, [2, 2]).term, null, "knob off: no term");
  const state = structuredClone(first.getState()) as { loop: { share: number; ace: { value: number } } };
  [state.loop.share, state.loop.ace.value] = [1, 1];
  const on = vitals({ plasticity: false, seed: 1 });
  on.setState(state);
  const { b, term } = stepOf(on, c, [2, 2]);
  assert.equal(b.x.shape[0], 4, "2 new rows and 2 replayed (1 per new row)");
  const logits = c.model.forwardLinear(b.x, { training: true });
  const expected = aceTerm(b, logits, 2, Float32Array.from([1, 1, 1]))!.item();
  assert.equal(term!.item(), expected);
  const after = on.getState() as { loop: { seen: Float32Array; ace: { value: number } } };
  assert.deepEqual([...after.loop.seen, after.loop.ace.value], [1, 1, 1, 1]);
  const linear = { model: model("linear") } as unknown as TrainingControl;
  const plain = vitals({ plasticity: false, seed: 1 });
  plain.setState(structuredClone(state));
  assert.equal(stepOf(plain, linear, [2, 2]).term, null, "no softmax output: plain replay");
});
