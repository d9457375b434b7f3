/**
 * Data sets from files (Node only, exported from `homeostat/node`): the readers here open the file and
 * hand its text or bytes to the parsers of csv.ts and idx.ts, which the browser-safe root exports.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { DataError, fileErrorWords } from "../tensor/errors.js";
import { type CsvOptions, parseCsv } from "./csv.js";
import type { Dataset } from "./dataset.js";
import { type IdxDatasetOptions, idxToDataset, parseIdx } from "./idx.js";

/**
 * Read a CSV file (UTF-8) and parse it with `parseCsv`; error messages name the path.
 *
 * @example
 * const ds = loadCsv("iris.csv", { target: "species" });
 */
export function loadCsv(path: string, opts: CsvOptions): Dataset {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new DataError(`${path}: cannot read the file: ${fileErrorWords(err)}`, { file: opts.file ?? path });
  }
  return parseCsv(text, { ...opts, file: opts.file ?? path });
}

/**
 * Load an image/label pair of IDX files (raw or .gz) as a classification Dataset (see `idxToDataset`).
 *
 * @example
 * const train = loadIdxDataset("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
 */
export function loadIdxDataset(
  imagesPath: string,
  labelsPath: string,
  names: IdxDatasetOptions = {},
): Dataset {
  const imagesFile = names.imagesFile ?? imagesPath;
  const labelsFile = names.labelsFile ?? labelsPath;
  const images = parseIdx(readBytes(imagesPath, imagesFile), imagesFile, gunzipSync);
  const labels = parseIdx(readBytes(labelsPath, labelsFile), labelsFile, gunzipSync);
  return idxToDataset(images, labels, { imagesFile, labelsFile });
}

function readBytes(path: string, file: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DataError(`${file}: cannot read the file: ${fileErrorWords(err)}`, { file });
  }
}
