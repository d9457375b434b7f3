/**
 * The `data` section of a run config: where the rows come from (the bundled digits, a CSV file, IDX
 * files), how they are normalised and split, and the image shape of a CSV's rows.
 */
import { resolve } from "node:path";
import { parseOptions } from "../config/options.js";
import { MISSING_POLICIES, type MissingPolicy } from "../data/rows.js";
import { checkKeys, expectObject, optNumber, optString, reqString } from "../tensor/fields.js";

/** Where the training (and test) data come from. Paths are resolved against the config file's folder. */
export type DataSource =
  | { kind: "mnist" }
  | {
      kind: "csv";
      path: string;
      target: string;
      task: "classification" | "regression" | "auto";
      test?: string;
      missing: MissingPolicy;
    }
  | { kind: "idx"; images: string; labels: string; test?: { images: string; labels: string } };

export interface DataConfig {
  source: DataSource;
  normalize: "none" | "scale01" | "standardize";
  validationSplit: number;
  /** Fraction held out for testing when the source has no test set of its own (CSV/IDX without `test`). */
  testSplit: number;
  /** The shape of one row as an image, channels last ([28, 28, 1]); IDX images carry their own. */
  shape?: number[];
}

/** Check a run config's `data` section; paths are resolved against `baseDir` (the config's folder). */
export function parseData(raw: unknown, baseDir: string): DataConfig {
  const d = expectObject(raw, "data");
  const common = ["normalize", "validationSplit", "testSplit", "shape"];
  const { shape } = parseOptions({ shape: d.shape }, DATA_SHAPE, "data");
  let source: DataSource;
  if (d.builtin !== undefined) {
    checkKeys(d, ["builtin", ...common], "data");
    reqString(d, "builtin", "data", ["mnist"]);
    source = { kind: "mnist" };
  } else {
    const format = reqString(d, "format", "data", ["csv", "idx"]);
    if (format === "csv") {
      checkKeys(d, ["format", "path", "target", "task", "test", "missing", ...common], "data");
      const test = optString(d, "test", "data");
      source = {
        kind: "csv",
        path: resolve(baseDir, reqString(d, "path", "data")),
        target: reqString(d, "target", "data"),
        task: (optString(d, "task", "data", ["classification", "regression", "auto"]) ?? "auto") as "auto",
        test: test === undefined ? undefined : resolve(baseDir, test),
        missing: (optString(d, "missing", "data", MISSING_POLICIES) ?? "error") as MissingPolicy,
      };
    } else {
      checkKeys(d, ["format", "images", "labels", "test", ...common], "data");
      let test: { images: string; labels: string } | undefined;
      if (d.test !== undefined) {
        const t = expectObject(d.test, "data.test");
        checkKeys(t, ["images", "labels"], "data.test");
        test = {
          images: resolve(baseDir, reqString(t, "images", "data.test")),
          labels: resolve(baseDir, reqString(t, "labels", "data.test")),
        };
      }
      source = {
        kind: "idx",
        images: resolve(baseDir, reqString(d, "images", "data")),
        labels: resolve(baseDir, reqString(d, "labels", "data")),
        test,
      };
    }
  }
  return {
    source,
    normalize: (optString(d, "normalize", "data", ["none", "scale01", "standardize"]) ??
      "none") as DataConfig["normalize"],
    validationSplit: optNumber(d, "validationSplit", "data", { min: 0, max: 0.9 }) ?? 0,
    testSplit: optNumber(d, "testSplit", "data", { min: 0, max: 0.9 }) ?? 0.2,
    ...(shape ? { shape } : {}),
  };
}

const DATA_SHAPE = {
  shape: { kind: "integers", min: 1, optional: true, doc: "One row's image shape, channels last." },
} as const;
