// Why each listed surviving mutant cannot be told apart from the original by any test (equivalent), or
// is harmless: docs/mutation.md prints the reason after the mutant. A mutant here still counts as
// survived in the score (Stryker's score); a `// Stryker disable` comment in the source is the way to
// drop one from it, kept for lines where no other mutant of that mutator can be killed.
//
// Each entry: the file without extension, the mutator, and the code and replacement as the doc shows
// them (one line, cut to 80 characters); they are matched as the doc's lines are, line numbers aside.
import { matchKey } from "./mutation-rerun.mjs";

const ENTRIES = [];

/** Reason by match key (scripts/mutation-rerun.mjs's matchKey). */
export const EQUIVALENT = new Map(
  ENTRIES.map(([file, mutator, code, replacement, why]) => [matchKey(file, mutator, code, replacement), why]),
);
