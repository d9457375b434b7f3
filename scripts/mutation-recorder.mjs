// A Stryker reporter plugin that writes each mutant's result the moment it is known, so that a run
// stopped by scripts/mutate.mjs's time budget still leaves a usable, partial record. Stryker's own
// JSON reporter writes only at the very end.
//
// Files, in the folder named by MUTATION_RECORD_DIR:
//   plan.json      every mutant Stryker will report on (written once the test plan is ready), with
//                  the test files that will run it (how many, and which) and their clean run time
//                  (worst case: it survives), to see which slow files a folder's mutants wait on
//   results.jsonl  one line per mutant result, appended as they come (early results included, so a
//                  complete run has as many lines as the plan has mutants), with the tests that
//                  covered and killed it
//   tests.json     the dry run's tests (id and name: with the tap runner, one per test file), so that
//                  a stopped run's results can be written as an incremental report Stryker reuses
//                  (scripts/mutation-salvage.mjs)
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.MUTATION_RECORD_DIR ?? "reports/mutation";

/** The fields docs/mutation.md needs, from a Stryker mutant or mutant result. */
const brief = (m) => ({
  id: m.id,
  fileName: m.fileName,
  location: m.location,
  mutatorName: m.mutatorName,
  replacement: m.replacement,
  status: m.status,
});

/** A result with what an incremental report keeps of it (its tests, by the dry run's ids). */
const full = (r) => ({
  ...brief(r),
  statusReason: r.statusReason,
  testsCompleted: r.testsCompleted,
  static: r.static,
  killedBy: r.killedBy,
  coveredBy: r.coveredBy,
});

const recorder = {
  onDryRunCompleted({ result }) {
    mkdirSync(dir, { recursive: true });
    const tests = (result.tests ?? []).map((t) => ({ id: t.id, name: t.name }));
    writeFileSync(join(dir, "tests.json"), JSON.stringify(tests));
  },
  onMutationTestingPlanReady({ mutantPlans }) {
    mkdirSync(dir, { recursive: true });
    const planned = mutantPlans.map((p) => ({
      ...brief(p.mutant),
      testFiles: p.runOptions?.testFilter?.length ?? 0,
      tests: p.runOptions?.testFilter ?? [],
      netTimeMs: p.netTime ?? 0,
    }));
    writeFileSync(join(dir, "plan.json"), JSON.stringify(planned));
    writeFileSync(join(dir, "results.jsonl"), "");
  },
  onMutantTested(result) {
    appendFileSync(join(dir, "results.jsonl"), `${JSON.stringify(full(result))}\n`);
  },
};

export const strykerPlugins = [{ kind: "Reporter", name: "mutation-recorder", value: recorder }];
