// StrykerJS, run by `npm run mutate -- <folder>` (scripts/mutate.mjs), which adds --mutate,
// --incrementalFile and --concurrency for the folder. Mutants are made in the compiled JavaScript
// (dist/src), not in the TypeScript, so no mutant waits for a compiler; each mutant runs the unit-tier
// test files that cover it (per-file coverage from the tap runner), stopping at the first failure.
import { tierFiles } from "./scripts/test-tiers.mjs";

// The folder under test, from the record directory scripts/mutate.mjs passes (reports/mutation/<folder>).
const folder = (process.env.MUTATION_RECORD_DIR ?? "").split("/").pop() ?? "";
/** Run order: unit-* files named after the folder (unit-train-*), other unit-* files, then the rest. */
const rank = (file) => {
  const name = file.slice("dist/test/".length);
  const unit = name.startsWith("unit-");
  return unit && folder && name.includes(folder) ? 0 : unit ? 1 : 2;
};

export default {
  testRunner: "tap",
  tap: {
    // A mutant's covering files run in this order and it stops at the first that fails: the targeted,
    // fast unit-* files first, so that most mutants die before a long training test starts.
    testFiles: [...tierFiles("unit")].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)),
    nodeArgs: ["--test-reporter=tap"],
  },
  coverageAnalysis: "perTest",
  plugins: ["@stryker-mutator/tap-runner", "./scripts/mutation-recorder.mjs"],
  reporters: ["progress", "mutation-recorder"],
  incremental: true,
  // The machine is shared and its speed varies, so a mutant is given generous time before it counts
  // as an infinite loop (timeout = 2 × the file's clean run + 20 s).
  timeoutFactor: 2,
  timeoutMS: 20_000,
  dryRunTimeoutMinutes: 15,
  // Stryker's sandbox is a copy of the project; only the compiled tree, the fixtures, the manifest
  // and what unit tests read besides are needed in it: docs/kinds.md (every kind's option schema),
  // docs/models.md (the generated trajectory table),
  // the API report with the script that makes it, dist/bench (the live-bench tests import it)
  // and examples/ (graph tests build the example configs).
  ignorePatterns: [
    "/*",
    "!/dist",
    "!/test",
    "!/package.json",
    "!/docs",
    "/docs/*",
    "!/docs/kinds.md",
    "!/docs/api-report.md",
    "!/docs/models.md",
    "!/scripts",
    "/scripts/*",
    "!/scripts/api-report.mjs",
    "/dist/playground",
    "!/examples",
  ],
  cleanTempDir: true,
};
