/**
 * The file-argument matrix: every file argument of every subcommand × missing, folder, empty, unreadable,
 * what each variant should make the CLI do, and how to prepare a case. Shared by scripts/cli-cases.mjs
 * (its `M …` rows) and test/cli-files.test.ts (which asserts them); the valid files each case copies are
 * the fixtures of makeFixtures in scripts/cli-harness.mjs.
 */
import { chmodSync, cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Every file argument of every subcommand. `role`: input (a file read), inputDir (a folder read),
 * output (a file written), outputDir (a folder written). `name` is the path the case gives it,
 * `valid` the fixture it is a copy of where the case needs a real one, `uses` the other fixtures its
 * command line needs.
 */
export const FILE_ARGS = [
  {
    arg: "train --config",
    role: "input",
    name: "run.json",
    valid: "iris.json",
    uses: ["iris.csv"],
    argv: (p) => ["train", "--config", p],
  },
  {
    arg: "train --resume",
    role: "inputDir",
    name: "ckpts",
    valid: "checkpoints",
    uses: [],
    argv: (p) => ["train", "--resume", p],
  },
  {
    arg: "eval --model",
    role: "input",
    name: "model.hmst",
    valid: "iris.hmst",
    uses: ["iris.csv"],
    argv: (p) => ["eval", "--model", p, "--data", "iris.csv"],
  },
  {
    arg: "eval --data",
    role: "input",
    name: "data.csv",
    valid: "iris.csv",
    uses: ["iris.hmst"],
    argv: (p) => ["eval", "--model", "iris.hmst", "--data", p],
  },
  {
    arg: "eval --images",
    role: "input",
    name: "img.idx",
    valid: "images.idx",
    uses: ["iris.hmst", "labels.idx"],
    argv: (p) => ["eval", "--model", "iris.hmst", "--images", p, "--labels", "labels.idx"],
  },
  {
    arg: "eval --labels",
    role: "input",
    name: "lab.idx",
    valid: "labels.idx",
    uses: ["iris.hmst", "images.idx"],
    argv: (p) => ["eval", "--model", "iris.hmst", "--images", "images.idx", "--labels", p],
  },
  {
    arg: "eval --config",
    role: "input",
    name: "run.json",
    valid: "iris.json",
    uses: ["iris.hmst", "iris.csv"],
    argv: (p) => ["eval", "--model", "iris.hmst", "--config", p],
  },
  {
    arg: "predict --model",
    role: "input",
    name: "model.hmst",
    valid: "iris.hmst",
    uses: ["rows.csv"],
    argv: (p) => ["predict", "--model", p, "--input", "rows.csv"],
  },
  {
    arg: "predict --input",
    role: "input",
    name: "rows.csv",
    valid: "rows.csv",
    uses: ["iris.hmst"],
    argv: (p) => ["predict", "--model", "iris.hmst", "--input", p],
  },
  {
    arg: "continual --config",
    role: "input",
    name: "cl-run.json",
    valid: "cl.json",
    uses: [],
    argv: (p) => ["continual", "--config", p],
  },
  {
    arg: "continual --resume",
    role: "inputDir",
    name: "ckpts",
    valid: "checkpoints",
    uses: [],
    argv: (p) => ["continual", "--resume", p],
  },
  {
    arg: "report RECORD",
    role: "input",
    name: "run.record.json",
    valid: "iris.record.json",
    uses: [],
    argv: (p) => ["report", p, "--out", "report.html"],
  },
  {
    arg: "report --out",
    role: "output",
    name: "report.html",
    uses: ["iris.record.json"],
    argv: (p) => ["report", "iris.record.json", "--out", p],
  },
  {
    arg: "export --model",
    role: "input",
    name: "model.hmst",
    valid: "iris.hmst",
    uses: [],
    argv: (p) => ["export", "--model", p, "--format", "onnx", "--out", "out.onnx"],
  },
  {
    arg: "export --out (onnx)",
    role: "output",
    name: "model.onnx",
    uses: ["iris.hmst"],
    argv: (p) => ["export", "--model", "iris.hmst", "--format", "onnx", "--out", p],
  },
  {
    arg: "export --out (tfjs)",
    role: "outputDir",
    name: "tfjs-model",
    uses: ["iris.hmst"],
    argv: (p) => ["export", "--model", "iris.hmst", "--format", "tfjs", "--out", p],
  },
  {
    arg: "import --in (onnx)",
    role: "input",
    name: "model.onnx",
    valid: "iris.onnx",
    uses: [],
    argv: (p) => ["import", "--format", "onnx", "--in", p, "--out", "imported.hmst"],
  },
  {
    arg: "import --in (tfjs)",
    role: "inputDir",
    name: "tfjs-model",
    valid: "iris-tfjs",
    uses: [],
    argv: (p) => ["import", "--format", "tfjs", "--in", p, "--out", "imported.hmst"],
  },
  {
    arg: "import --out",
    role: "output",
    name: "imported.hmst",
    uses: ["iris.onnx"],
    argv: (p) => ["import", "--format", "onnx", "--in", "iris.onnx", "--out", p],
  },
];

export const VARIANTS = ["missing", "folder", "empty", "unreadable"];

/**
 * What each variant means for each role, and what the CLI should do. An input that is missing, a folder
 * where a file belongs (or a file where a folder belongs), empty or unreadable is refused (exit 2).
 * An output is different: a missing folder is created and an existing file replaced, so those must
 * work; a folder in a file's place, a file in a folder's place, or a folder we cannot write into is
 * refused. "unreadable" is "unwritable" for outputs.
 */
const MEANING = {
  input: {
    missing: ["does not exist", 2],
    folder: ["is an empty folder", 2],
    empty: ["is an empty file", 2],
    unreadable: ["is a valid file we may not read", 2],
  },
  inputDir: {
    missing: ["does not exist", 2],
    folder: ["is an empty folder", 2],
    empty: ["is an empty file (a folder is expected)", 2],
    unreadable: ["is a valid folder we may not read", 2],
  },
  output: {
    missing: ["is in folders that do not exist yet", 0],
    folder: ["is an existing folder", 2],
    empty: ["is an existing empty file (replaced)", 0],
    unreadable: ["is in a folder we may not write to", 2],
  },
  outputDir: {
    missing: ["is in folders that do not exist yet", 0],
    folder: ["is an existing empty folder", 0],
    empty: ["is an existing empty file (a folder is expected)", 2],
    unreadable: ["is in a folder we may not write to", 2],
  },
};

/** "the path does not exist" and its expected exit code. */
export function meaning(fileArg, variant) {
  const [words, exitCode] = MEANING[fileArg.role][variant];
  return { words, exitCode };
}

/**
 * Prepare one matrix case in `caseDir`: copy the fixtures its command line needs, then make the file
 * argument's path as the variant says. Returns the CLI arguments, the path and whether to run as nobody.
 */
export function prepareFileCase(fixtures, caseDir, fileArg, variant) {
  for (const f of fileArg.uses) cpSync(join(fixtures, f), join(caseDir, f), { recursive: true });
  const isOutput = fileArg.role.startsWith("output");
  let path = fileArg.name;
  if (variant === "missing" && isOutput) path = join("new", "sub", fileArg.name);
  else if (variant === "folder") mkdirSync(join(caseDir, path));
  else if (variant === "empty") writeFileSync(join(caseDir, path), "");
  else if (variant === "unreadable" && isOutput) {
    mkdirSync(join(caseDir, "locked"), { mode: 0o555 });
    chmodSync(join(caseDir, "locked"), 0o555);
    path = join("locked", fileArg.name);
  } else if (variant === "unreadable") {
    cpSync(join(fixtures, fileArg.valid), join(caseDir, path), { recursive: true });
    chmodSync(join(caseDir, path), 0o000);
  }
  return { args: fileArg.argv(path), path, asNobody: variant === "unreadable" };
}
