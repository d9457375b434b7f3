/**
 * Image data keeps its shape: IDX images load as [h, w, 1] samples, a CSV takes `data.shape` from the
 * run config, a conv net is built on that shape without a reshape layer, and a dense net on the same
 * rows reads them flat, exactly as before.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { modelInput, withShape } from "../src/data/dataset.js";
import { idxToDataset } from "../src/data/idx.js";
import { loadBundledMnist } from "../src/data/mnist.js";
import { decodeModel } from "../src/io/model.js";
import { DataError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { tempDir } from "./helpers/tmp.js";

const BIN = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
const dir = tempDir("data-shape");

const ubyte = (dims: number[], data: ArrayLike<number>) => ({
  type: "ubyte" as const,
  dims,
  data: Uint8Array.from(data),
});

test("IDX images keep their shape: n×h×w is [h, w, 1], n×h×w×c is [h, w, c], n×d stays flat", () => {
  const labels = ubyte([2], [0, 1]);
  assert.deepEqual(idxToDataset(ubyte([2, 3, 4], new Array(24).fill(1)), labels).shape, [3, 4, 1]);
  assert.deepEqual(idxToDataset(ubyte([2, 3, 4, 2], new Array(48).fill(1)), labels).shape, [3, 4, 2]);
  const flat = idxToDataset(ubyte([2, 12], new Array(24).fill(1)), labels);
  assert.equal(flat.shape, undefined);
  assert.equal(flat.inputDim, 12);
  assert.deepEqual(loadBundledMnist().train.shape, [28, 28, 1]);
});

test("modelInput: the image shape for a net that starts with a conv, pool or flatten; the width otherwise", () => {
  const ds = idxToDataset(ubyte([2, 3, 4], new Array(24).fill(1)), ubyte([2], [0, 1]));
  const types = (...t: string[]) => t.map((type) => ({ type }));
  assert.deepEqual(modelInput(types("conv2d", "flatten", "dense"), ds), [3, 4, 1]);
  assert.deepEqual(modelInput(types("batchNorm", "maxPool2d", "flatten", "dense"), ds), [3, 4, 1]);
  assert.equal(modelInput(types("dense", "dense"), ds), 12);
  assert.equal(
    modelInput(types("batchNorm", "dense"), ds),
    12,
    "batch norm then dense: per-pixel, as before",
  );
  assert.equal(modelInput(types("reshape", "conv2d"), ds), 12, "a reshape layer reads flat rows itself");
  assert.equal(modelInput(types("conv2d"), { ...ds, shape: undefined }), 12);
  assert.throws(
    () => withShape(ds, [5, 5, 1], "pix.csv"),
    (e: unknown) =>
      e instanceof DataError &&
      e.message === "pix.csv: data.shape [5, 5, 1] holds 25 values but each row has 12 features",
  );
});

/** Write an IDX file: magic 00 00 08 ndims, big-endian dims, bytes. */
function writeIdx(name: string, dims: number[], body: Uint8Array): void {
  const head = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  head.setUint8(2, 0x08);
  head.setUint8(3, dims.length);
  dims.forEach((d, i) => head.setUint32(4 + 4 * i, d, false));
  writeFileSync(join(dir, name), Buffer.concat([new Uint8Array(head.buffer), body]));
}

/** 60 images of 6×6: class 0 lights the top rows, class 1 the bottom rows. */
function digits(): { pixels: Uint8Array; labels: Uint8Array } {
  const r = new Rng(3);
  const pixels = new Uint8Array(60 * 36);
  const labels = Uint8Array.from({ length: 60 }, (_, i) => i % 2);
  for (let i = 0; i < 60; i++)
    for (let p = 0; p < 36; p++)
      pixels[i * 36 + p] = p < 18 === (labels[i] === 0) ? 200 + r.int(50) : r.int(50);
  return { pixels, labels };
}

function train(name: string, config: object): { code: number | null; stderr: string } {
  writeFileSync(
    join(dir, `${name}.json`),
    JSON.stringify({
      seed: 1,
      epochs: 2,
      batchSize: 8,
      loss: "crossEntropy",
      optimizer: { type: "adam", lr: 0.01 },
      out: `${name}.hmst`,
      ...config,
    }),
  );
  const r = spawnSync(process.execPath, [BIN, "train", "--config", `${name}.json`, "--quiet"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stderr: r.stderr };
}

/** A tiny CNN over `classes` classes (IDX labels always count 10; the CSV's two). */
const cnn = (classes: number) => [
  { type: "conv2d", filters: 2, kernel: 3, activation: "relu" },
  { type: "flatten" },
  { type: "dense", units: classes, activation: "softmax" },
];
const inputOf = (name: string) => decodeModel(readFileSync(join(dir, `${name}.hmst`))).model.config();

test("through the CLI: a conv net on IDX images needs no reshape; an MLP on them reads flat rows", () => {
  const { pixels, labels } = digits();
  writeIdx("img.idx", [60, 6, 6], pixels);
  writeIdx("lab.idx", [60], labels);
  const data = { format: "idx", images: "img.idx", labels: "lab.idx", normalize: "scale01" };
  const conv = train("conv", { data, model: { layers: cnn(10) } });
  assert.equal(conv.code, 0, conv.stderr);
  assert.deepEqual(inputOf("conv").inputShape, [6, 6, 1]);
  assert.equal(
    train("mlp", { data, model: { layers: [{ type: "dense", units: 10, activation: "softmax" }] } }).code,
    0,
  );
  const mlp = inputOf("mlp");
  assert.equal(mlp.inputDim, 36);
  assert.equal(mlp.inputShape, undefined, "the MLP's model file is what it was before shapes");
  // Shifts over the data's own 6×6 images by default; channels that disagree with the data are refused.
  const shifted = train("shift", { data, model: { layers: cnn(10) }, augment: { shift: 1 } });
  assert.equal(shifted.code, 0, shifted.stderr);
  const rgb = train("rgb", { data, model: { layers: cnn(10) }, augment: { shift: 1, channels: 3 } });
  assert.equal(rgb.code, 2);
  assert.match(
    rgb.stderr,
    /augment: images of 6×6×3 \(height × width × channels\) but the data's rows are \[6, 6, 1\]/,
  );
  assert.doesNotMatch(rgb.stderr, /\n\s+at /, "no stack trace");
  // A model that reads 6×6 images, evaluated on images of 4×9 (as many values): refused, both shapes named.
  writeIdx("img9.idx", [60, 4, 9], pixels);
  const wrong = spawnSync(
    process.execPath,
    [BIN, "eval", "--model", "conv.hmst", "--images", "img9.idx", "--labels", "lab.idx"],
    {
      cwd: dir,
      encoding: "utf8",
    },
  );
  assert.equal(wrong.status, 2, wrong.stderr);
  assert.match(wrong.stderr, /img9\.idx.*the data's images are \[4, 9, 1\] but the model reads \[6, 6, 1\]/);
  // A test set of another shape is refused, naming both files and shapes.
  const odd = train("odd", {
    data: { ...data, test: { images: "img9.idx", labels: "lab.idx" } },
    model: { layers: cnn(10) },
  });
  assert.equal(odd.code, 2);
  assert.match(
    odd.stderr,
    /img9\.idx: test images shaped \[4,9,1\] but the training images .*img\.idx are \[6,6,1\]/,
  );
  assert.doesNotMatch(odd.stderr, /\n\s+at /, "no stack trace");
});

test("through the CLI: a CSV's rows read as images with data.shape; a shape that does not fit is refused", () => {
  const { pixels, labels } = digits();
  const header = [...Array.from({ length: 36 }, (_, i) => `p${i}`), "label"].join(",");
  const rows = Array.from(labels, (y, i) => [...pixels.subarray(i * 36, (i + 1) * 36), y].join(","));
  writeFileSync(join(dir, "pix.csv"), `${header}\n${rows.join("\n")}\n`);
  const data = { format: "csv", path: "pix.csv", target: "label", normalize: "scale01" };
  const csv = train("csv", { data: { ...data, shape: [6, 6, 1] }, model: { layers: cnn(2) } });
  assert.equal(csv.code, 0, csv.stderr);
  assert.deepEqual(inputOf("csv").inputShape, [6, 6, 1]);
  const bad = train("csv-bad", { data: { ...data, shape: [5, 5, 1] }, model: { layers: cnn(2) } });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /pix\.csv: data\.shape \[5, 5, 1\] holds 25 values but each row has 36 features/);
  const zero = train("csv-zero", { data: { ...data, shape: [6, 0, 1] }, model: { layers: cnn(2) } });
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /data\.shape/);
});
