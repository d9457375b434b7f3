// A run that scripts/mutate.mjs stops at its time budget leaves no incremental report (Stryker 9 writes
// it only at the very end), so the next run would test again every mutant this one had tested. This
// writes one from the recorder's record (scripts/mutation-recorder.mjs: results.jsonl, each result
// with the tests that covered and killed it, and tests.json, the dry run's tests) in the shape of
// Stryker's own: the next run reuses each recorded result whose code and covering test files have not
// changed, and tests the rest. Mutants the stopped run never reached are not in it, so they are run.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";

/**
 * Write `incrementalFile` from the record in `recordDir`; returns how many results it holds (0, and
 * nothing written, where the record lacks the tests or the results' coverage: a recorder older than
 * this script).
 */
export function salvageIncremental(recordDir, incrementalFile, root = process.cwd()) {
  const testsFile = `${recordDir}/tests.json`;
  const resultsFile = `${recordDir}/results.jsonl`;
  if (!existsSync(testsFile) || !existsSync(resultsFile)) return 0;
  const tests = JSON.parse(readFileSync(testsFile, "utf8"));
  const results = readFileSync(resultsFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  if (results.length === 0 || !results.every((r) => "coveredBy" in r)) return 0;
  const files = {};
  for (const r of results) {
    const file = relative(root, r.fileName);
    files[file] ??= { language: "javascript", source: readFileSync(r.fileName, "utf8"), mutants: [] };
    files[file].mutants.push({
      id: r.id,
      mutatorName: r.mutatorName,
      replacement: r.replacement,
      statusReason: r.statusReason,
      status: r.status,
      testsCompleted: r.testsCompleted,
      static: r.static,
      killedBy: r.killedBy,
      coveredBy: r.coveredBy,
      location: r.location,
    });
  }
  // With the tap runner a test is a test file: its name is the file's path, its source the file.
  const testFiles = {};
  for (const t of tests) {
    const file = t.fileName ? relative(root, t.fileName) : t.name;
    if (!existsSync(file)) continue;
    testFiles[file] ??= { source: readFileSync(file, "utf8"), tests: [] };
    testFiles[file].tests.push({ id: t.id, name: t.name });
  }
  const report = {
    schemaVersion: "1.0",
    thresholds: { high: 80, low: 60, break: null },
    projectRoot: root,
    files,
    testFiles,
  };
  writeFileSync(incrementalFile, JSON.stringify(report));
  return results.length;
}
