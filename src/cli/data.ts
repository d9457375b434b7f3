import { loadCsv, loadIdxDataset } from "../data/files.js";
import { type Dataset, splitDataset, withShape } from "../data/dataset.js";
import { loadBundledMnist } from "../data/mnist.js";
import { fillMissing, fillValues } from "../data/rows.js";
import { applyNormalizer, fitNormalizer, type Normalizer } from "../data/normalize.js";
import { DataError } from "../tensor/errors.js";
import { Tensor } from "../tensor/tensor.js";
import type { LabeledData } from "../train/evaluate.js";
import type { DataConfig } from "./config.js";

export interface PreparedData {
  train: Dataset;
  test: Dataset;
  normalizer: Normalizer;
  /** How missing feature values were filled (data.missing "mean" or "zero"), to be saved with the model. */
  impute?: { mode: string; values: Float32Array };
  /** Where the data came from, for messages and the run record. */
  description: string;
}

/** Load the data a run config names, hold out a test set if it has none, and normalise both with statistics of the training split. */
export function prepareData(cfg: DataConfig, seed: number): PreparedData {
  let train: Dataset;
  let test: Dataset;
  let description: string;
  const src = cfg.source;
  if (src.kind === "mnist") {
    ({ train, test } = loadBundledMnist());
    description = "bundled MNIST digits (8,000 train / 2,000 test)";
  } else {
    const keep = src.kind === "csv" && src.missing !== "error" ? "keep" : "error";
    const full =
      src.kind === "csv"
        ? loadCsv(src.path, { target: src.target, task: src.task, missing: keep })
        : loadIdxDataset(src.images, src.labels);
    const testFile = src.test;
    if (testFile !== undefined) {
      train = full;
      // The test file is read as the model will read it: the training file's features, task and classes.
      test =
        typeof testFile === "string"
          ? loadCsv(testFile, {
              target: (src as { target: string }).target,
              task: full.task,
              features: full.featureNames,
              classes: full.classes,
              missing: keep,
            })
          : loadIdxDataset(testFile.images, testFile.labels);
      description =
        src.kind === "csv"
          ? `${src.path} (test: ${testFile})`
          : `${src.images} (test: ${(testFile as { images: string }).images})`;
    } else {
      ({ train, test } = splitDataset(full, { testFraction: cfg.testSplit, seed }));
      description = `${src.kind === "csv" ? src.path : src.images} (${Math.round(cfg.testSplit * 100)}% held out for testing)`;
    }
  }
  if (cfg.shape) {
    const file = src.kind === "csv" ? src.path : src.kind === "idx" ? src.images : "the bundled digits";
    train = withShape(train, cfg.shape, file);
    test = withShape(test, cfg.shape, src.kind === "csv" ? (src.test ?? file) : file);
  } else if (src.kind === "idx" && src.test && String(train.shape) !== String(test.shape)) {
    throw new DataError(
      `${src.test.images}: test images shaped [${test.shape ?? test.inputDim}] but the training images ${src.images} are [${train.shape ?? train.inputDim}]`,
      { file: src.test.images },
    );
  }
  // Missing values are filled from the training split only, so the test split stays unseen.
  let impute: PreparedData["impute"];
  if (src.kind === "csv" && src.missing !== "error") {
    const values = fillValues(train.x, train.inputDim, src.missing);
    fillMissing(train.x, train.inputDim, values);
    fillMissing(test.x, test.inputDim, values);
    impute = { mode: src.missing, values };
  }
  const normalizer = fitNormalizer(train, cfg.normalize);
  return {
    train: applyNormalizer(normalizer, train),
    test: applyNormalizer(normalizer, test),
    normalizer,
    impute,
    description,
  };
}

/** A Dataset as the tensors the training loop takes: flat rows, which a model built on an image shape reads as images. */
export function toTensors(ds: Dataset): LabeledData {
  return { x: new Tensor(ds.x, [ds.n, ds.inputDim]), y: new Tensor(ds.y, [ds.n, ds.outputDim]) };
}
