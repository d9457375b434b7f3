import { readModelBytes, writeFileAtomic, ensureDirectory } from "../io/atomic.js";
import { encodeModel } from "../io/model.js";
import { exportOnnx, importOnnx } from "../io/onnx.js";
import { exportSafetensors, importSafetensors } from "../io/safetensors.js";
import { readArchitectureFile, writeSafetensors } from "../io/safetensors-files.js";
import { readTfjs, writeTfjs } from "../io/tfjs-files.js";
import { basename, dirname } from "node:path";
import { UsageError } from "./args.js";
import { loadModelFile } from "./model-commands.js";
import { describeModel, displayPath } from "./train.js";
import type { Ui } from "./ui.js";

const FORMATS = ["onnx", "tfjs", "safetensors"] as const;
type Format = (typeof FORMATS)[number];

function checkFormat(format: string | undefined): Format {
  if (!format || !(FORMATS as readonly string[]).includes(format))
    throw new UsageError(
      `--format: expected onnx, tfjs or safetensors, got ${format === undefined ? "nothing" : `"${format}"`}`,
    );
  return format as Format;
}

const OUT_WORDS: Record<Format, string> = {
  onnx: "a .onnx file",
  tfjs: "a folder for model.json and weights.bin",
  safetensors: "a .safetensors file; the .py goes beside it",
};

/**
 * `homeostat export`: the inference graph of a model file as ONNX (one .onnx file), as a
 * TensorFlow.js layers model (a folder with model.json and weights.bin), or as PyTorch weights
 * (NAME.safetensors, NAME.py and, with Adam/AdamW/SGD state, NAME.optimizer.safetensors). Input
 * normalisation is part of none: the summary says so when the model has one.
 */
export function runExport(
  modelPath: string,
  format0: string | undefined,
  out: string | undefined,
  ui: Ui,
): Record<string, unknown> {
  const format = checkFormat(format0);
  if (!out) throw new UsageError(`export needs --out (${OUT_WORDS[format]})`);
  const loaded = loadModelFile(modelPath);
  const norm = loaded.normalizer && loaded.normalizer.mode !== "none" ? loaded.normalizer.mode : null;
  let written: string[];
  if (format === "safetensors") {
    const files = exportSafetensors(loaded.model, {
      weightsFile: basename(out),
      description: `${describeModel(loaded.model)}, exported by Homeostat from ${basename(modelPath)}.`,
      ...(loaded.optimizer ? { optimizer: loaded.optimizer } : {}),
      inputNormalization: norm,
    });
    ensureDirectory(dirname(out));
    written = writeSafetensors(out, files);
  } else if (format === "onnx") {
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
  if (norm)
    ui.say(
      `note: the model was trained on "${norm}"-normalised inputs; the exported graph expects inputs normalised the same way`,
    );
  const summary = { command: "export", format, model: modelPath, written, inputNormalization: norm };
  ui.result(summary);
  return summary;
}

export interface ImportFlags {
  in?: string;
  format?: string;
  out?: string;
  /** safetensors: the architecture (a run config or {layers, inputDim}); default: the one an export stored. */
  arch?: string;
  /** safetensors: an optimiser state file (NAME.optimizer.safetensors). */
  optimizer?: string;
}

function importModel(
  format: Format,
  input: string,
  flags: ImportFlags,
): ReturnType<typeof importSafetensors> {
  if (format !== "safetensors" && (flags.arch || flags.optimizer))
    throw new UsageError(`--${flags.arch ? "arch" : "optimizer"} goes with --format safetensors only`);
  if (format === "onnx") return { model: importOnnx(readModelBytes(input), input) };
  if (format === "tfjs") return { model: readTfjs(input) };
  const arch = flags.arch ? readArchitectureFile(flags.arch) : null;
  const optimizer = flags.optimizer
    ? { bytes: readModelBytes(flags.optimizer), file: flags.optimizer }
    : undefined;
  return importSafetensors(readModelBytes(input), arch, input, optimizer);
}

const IN_WORDS: Record<Format, string> = {
  onnx: "a .onnx file",
  tfjs: "a folder holding model.json",
  safetensors: "a .safetensors file",
};

/**
 * `homeostat import`: an ONNX file, a TF.js layers-model folder or a PyTorch safetensors state dict
 * (with `--arch`, and optionally `--optimizer`) as a Homeostat model file.
 */
export function runImport(flags: ImportFlags, ui: Ui): Record<string, unknown> {
  const format = checkFormat(flags.format);
  const input = flags.in;
  const out = flags.out;
  if (!input) throw new UsageError(`import needs --in (${IN_WORDS[format]})`);
  if (!out) throw new UsageError("import needs --out FILE for the Homeostat model file");
  const { model, optimizer } = importModel(format, input, flags);
  ensureDirectory(dirname(out));
  writeFileAtomic(out, encodeModel(model, optimizer ? { optimizer } : {}));
  ui.say(
    `Homeostat · import · ${input} → ${displayPath(out)} (${describeModel(model)}, ${model.parameterCount().toLocaleString("en-US")} parameters${optimizer ? `, ${optimizer.type} state` : ""})`,
  );
  const summary = {
    command: "import",
    format,
    input,
    model: out,
    parameters: model.parameterCount(),
    ...(format === "safetensors" ? { optimizer: optimizer?.type ?? null } : {}),
  };
  ui.result(summary);
  return summary;
}
