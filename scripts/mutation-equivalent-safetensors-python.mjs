// The reasons for src/io's surviving mutants of src/io/safetensors-python*.ts, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.
export const SAFETENSORS_PYTHON_ENTRIES = [
  [
    "src/io/safetensors-python",
    "LogicalOperator",
    "o.optimizerFile && o.optimizerClass",
    "o.optimizerFile || o.optimizerClass",
    "harmless: differs only when exactly one of optimizerFile and optimizerClass is given, which cannot arise: pythonModule's one caller, exportSafetensors, passes both (the file NAME.optimizer.safetensors and the class optimizerTensors returns only when it is non-empty) or neither",
  ],
];
