/**
 * The learner file's two hand-made parts: numbers JSON cannot hold (NaN, ±Infinity, −0) travel as
 * text and come back as the same number, and a container of another kind, or a state that names a
 * tensor the file lacks, is refused with an error naming the file and the field. References: the
 * numbers themselves (Object.is tells −0 from 0) and containers built here with encodeContainer.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeContainer } from "../src/io/container.js";
import { learnerFromBytes, lift, lower } from "../src/io/learner-bytes.js";
import { ModelFileError } from "../src/tensor/errors.js";

test("NaN, ±Infinity and −0 travel as text and come back as the same numbers", () => {
  const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0];
  const lifted = lift(specials, []);
  assert.deepEqual(lifted, [{ $n: "NaN" }, { $n: "Infinity" }, { $n: "-Infinity" }, { $n: "-0" }]);
  // JSON.stringify(-0) is "0": the text form is what keeps the sign.
  const back = lower(JSON.parse(JSON.stringify(lifted)), new Map()) as number[];
  specials.forEach((v, i) => assert.ok(Object.is(back[i], v), `${i}: ${back[i]} for ${v}`));
  assert.deepEqual(lift([0, 1.5, "x", null], []), [0, 1.5, "x", null]);
});

test("a container of another kind is not a learner file, named with the file and the field", () => {
  const bytes = encodeContainer({ kind: "homeostat-model" }, []);
  assert.throws(
    () => learnerFromBytes(bytes, "m.hmst"),
    (e: unknown) =>
      e instanceof ModelFileError &&
      e.message === 'm.hmst: not a learner file (kind "homeostat-model")' &&
      e.location.file === "m.hmst" &&
      e.location.field === "kind",
  );
  assert.throws(
    () => learnerFromBytes(bytes),
    (e: unknown) =>
      e instanceof ModelFileError && e.message === 'not a learner file (kind "homeostat-model")',
  );
});

test("a state naming a tensor the file does not hold is refused, naming the tensor", () => {
  const bytes = encodeContainer({ kind: "homeostat-learner", state: { w: { $t: "t7" } } }, []);
  assert.throws(
    () => learnerFromBytes(bytes, "l.hmst"),
    (e: unknown) =>
      e instanceof ModelFileError &&
      e.message === "learner file: tensor t7 is missing" &&
      e.location.field === "t7",
  );
});
