// The reasons for src/io's surviving mutants of src/io/tfjs-import.ts's layer mapping and input shapes, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.
export const TFJS_IMPORT_LAYERS_ENTRIES = [];
