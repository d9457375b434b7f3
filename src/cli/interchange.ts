import { readModelBytes, writeFileAtomic, ensureDirectory } from "../io/atomic.js";
import { encodeModel } from "../io/model.js";
import { exportOnnx, importOnnx } from "../io/onnx.js";
import { readTfjs, writeTfjs } from "../io/tfjs.js";
import { dirname } from "node:path";
import { UsageError } from "./args.js";
import { loadModelFile } from "./model-commands.js";
import { describeModel, displayPath } from "./train.js";
import type { Ui } from "./ui.js";

const FORMATS = ["onnx", "tfjs"] as const;
type Format = (typeof FORMATS)[number];

function checkFormat(format: string | undefined): Format {
  if (!format || !(FORMATS as readonly string[]).includes(format))
    throw new UsageError(
      `--format: expected onnx or tfjs, got ${format === undefined ? "nothing" : `"${format}"`}`,
    );
  return format as Format;
}

/**
 * `homeostat export`: the inference graph of a model file as ONNX (one .onnx file) or as a
 * TensorFlow.js layers model (a folder with model.json and weights.bin). Input normalisation is not
 * part of either graph: the summary says so when the model has one.
 */
export function runExport(
  modelPath: string,
  format0: string | undefined,
  out: string | undefined,
  ui: Ui,
): Record<string, unknown> {
  const format = checkFormat(format0);
  if (!out)
    throw new UsageError(
      `export needs --out (${format === "onnx" ? "a .onnx file" : "a folder for model.json and weights.bin"})`,
    );
  const loaded = loadModelFile(modelPath);
  let written: string[];
  if (format === "onnx") {
    ensureDirectory(dirname(out));
    writeFileAtomic(out, exportOnnx(loaded.model));
    written = [out];
  } else {
    const paths = writeTfjs(out, loaded.model);
    written = [paths.modelJson, paths.weights];
  }
  ui.say(
    `Homeostat · export · ${modelPath} (${describeModel(loaded.model)}) → ${written.map(displayPath).join(", ")}`,
  );
  const norm = loaded.normalizer && loaded.normalizer.mode !== "none" ? loaded.normalizer.mode : null;
  if (norm)
    ui.say(
      `note: the model was trained on "${norm}"-normalised inputs; the exported graph expects inputs normalised the same way`,
    );
  const summary = { command: "export", format, model: modelPath, written, inputNormalization: norm };
  ui.result(summary);
  return summary;
}

/** `homeostat import`: an ONNX file or a TF.js layers-model folder as a Homeostat model file. */
export function runImport(
  input: string | undefined,
  format0: string | undefined,
  out: string | undefined,
  ui: Ui,
): Record<string, unknown> {
  const format = checkFormat(format0);
  if (!input)
    throw new UsageError(
      `import needs --in (${format === "onnx" ? "a .onnx file" : "a folder holding model.json"})`,
    );
  if (!out) throw new UsageError("import needs --out FILE for the Homeostat model file");
  const model = format === "onnx" ? importOnnx(readModelBytes(input), input) : readTfjs(input);
  ensureDirectory(dirname(out));
  writeFileAtomic(out, encodeModel(model));
  ui.say(
    `Homeostat · import · ${input} → ${displayPath(out)} (${describeModel(model)}, ${model.parameterCount().toLocaleString("en-US")} parameters)`,
  );
  const summary = { command: "import", format, input, model: out, parameters: model.parameterCount() };
  ui.result(summary);
  return summary;
}
