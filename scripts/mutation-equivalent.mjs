// Why each listed surviving mutant cannot be told apart from the original by any test (equivalent), or
// is harmless: docs/mutation.md prints the reason after the mutant. A mutant here still counts as
// survived in the score (Stryker's score); a `// Stryker disable` comment in the source is the way to
// drop one from it, kept for lines where no other mutant of that mutator can be killed.
//
// Each entry: the file without extension, the mutator, and the code and replacement as the doc shows
// them (one line, cut to 80 characters); they are matched as the doc's lines are, line numbers aside.
// src/io's entries live in mutation-equivalent-io.mjs, -interchange.mjs and one file per family of
// files (-onnx-*, -tfjs*, -safetensors-*; docs/mutation-io.md lists them), src/continual's
// in mutation-equivalent-continual.mjs, src/train's and src/homeostasis's in mutation-equivalent-train.mjs
// (the vitals loop's files in mutation-equivalent-vitals.mjs).
import { CONTINUAL_ENTRIES } from "./mutation-equivalent-continual.mjs";
import { HEALTH_ENTRIES } from "./mutation-equivalent-health.mjs";
import { INTERCHANGE_ENTRIES } from "./mutation-equivalent-interchange.mjs";
import { IO_ENTRIES } from "./mutation-equivalent-io.mjs";
import { ONNX_EXPORT_ENTRIES } from "./mutation-equivalent-onnx-export.mjs";
import { ONNX_IMPORT_ENTRIES } from "./mutation-equivalent-onnx-import.mjs";
import { SAFETENSORS_INTEROP_ENTRIES } from "./mutation-equivalent-safetensors-interop.mjs";
import { SAFETENSORS_PYTHON_ENTRIES } from "./mutation-equivalent-safetensors-python.mjs";
import { SAFETENSORS_SHAPED_ENTRIES } from "./mutation-equivalent-safetensors-shaped.mjs";
import { SAFETENSORS_TORCH_ENTRIES } from "./mutation-equivalent-safetensors-torch.mjs";
import { TFJS_ENTRIES } from "./mutation-equivalent-tfjs.mjs";
import { TFJS_EXPORT_SHAPED_ENTRIES } from "./mutation-equivalent-tfjs-export-shaped.mjs";
import { TFJS_IMPORT_LAYERS_ENTRIES } from "./mutation-equivalent-tfjs-import-layers.mjs";
import { TFJS_IMPORT_WEIGHTS_ENTRIES } from "./mutation-equivalent-tfjs-import-weights.mjs";
import { HOMEOSTASIS_ENTRIES, TRAIN_ENTRIES } from "./mutation-equivalent-train.mjs";
import { VITALS_ENTRIES } from "./mutation-equivalent-vitals.mjs";
import { matchKey } from "./mutation-rerun.mjs";

const RECOUNT_ALL =
  "only speed: a rank found short on the sampled rows is recounted on all rows, and a recount on all rows finds the design's true rank whatever sample came first";

const ENTRIES = [
  [
    "src/health/checks",
    "ConditionalExpression",
    "!pre",
    "false",
    "equivalent: every unit site reports its pre-activation (runLayers), so pre is never missing",
  ],
  [
    "src/health/checks",
    "ConditionalExpression",
    "varying.length < 2",
    "false",
    "equivalent on non-empty data: one varying feature with the intercept has full rank 2, none has rank 1 of 1, so the rank test finds nothing either way",
  ],
  [
    "src/health/checks",
    "ArithmeticOperator",
    "data.n / CHECK_LIMITS.maxRankRows",
    "data.n * CHECK_LIMITS.maxRankRows",
    "only speed: a step of n × maxRankRows samples the first row alone, whose rank falls short, so the rank is recounted on all rows, as the original's answer is",
  ],
  ...["found.rank < found.columns && step > 1", "found.rank < found.columns", "step > 1"].map((code) => [
    "src/health/checks",
    "ConditionalExpression",
    code,
    "true",
    RECOUNT_ALL,
  ]),
  [
    "src/health/checks",
    "EqualityOperator",
    "Math.abs(w) > 1e-6",
    "Math.abs(w) >= 1e-6",
    "harmless: differs only when a null direction's weight is exactly 1e-6, and then only in a term of the message",
  ],
  [
    "src/health/checks",
    "EqualityOperator",
    "c < k",
    "c <= k",
    "equivalent: counts[k] is past the end of a Float64Array, so the extra write is dropped",
  ],
  [
    "src/health/checks",
    "AssignmentOperator",
    "counts[c] += y[r * k + c]",
    "counts[c] -= y[r * k + c]",
    "equivalent: counts are only compared with 0 and with each other, which negating them all keeps",
  ],
  [
    "src/health/checks",
    "ConditionalExpression",
    "counts[b] !== counts[a]",
    "false",
    "equivalent: a shortcut; two identical columns have equal counts, so the row-by-row comparison decides alike",
  ],
  [
    "src/health/detectors",
    "ConditionalExpression",
    "p.accuracyMeans.length > 0",
    "true",
    "equivalent: with no accuracy, last([]) is undefined and undefined >= Θ is false, as the guard gives",
  ],
  [
    "src/health/detectors",
    "EqualityOperator",
    "p.accuracyMeans.length > 0",
    "p.accuracyMeans.length >= 0",
    "equivalent: as above, the second test is false on an empty list",
  ],
  [
    "src/health/detectors",
    "ConditionalExpression",
    "p.accuracyMeans.length === 0",
    "false",
    "equivalent: with no accuracy the mean of [] is NaN, and !(NaN <= limit) returns null as the guard does",
  ],
  [
    // Three survivors share this key (observer.ts's `false` literals), so one reason names each by its code.
    "src/health/observer",
    "BooleanLiteral",
    "false",
    "true",
    "by line: `measures = false` is equivalent, a default the only caller (monitor.ts) never leaves out; closeDeadWindow's `return false` made true is equivalent, as takePicture then only copies each ReLU hidden layer's deadFraction, which layerStatistics has already copied from the same field (check steps record activations: wantsActivations is checkNext); resetDeadWindow's `deadWindowFull = false` made true is harmless, as every layer's deadFraction stays 0 until the window closes, below any dyingRelu threshold above 0 (default 0.7); looksLikeClasses' `return false` is killed by test/unit-health-observer-classes.test.ts, added after this run",
  ],
  ...CONTINUAL_ENTRIES,
  ...HEALTH_ENTRIES,
  ...IO_ENTRIES,
  ...INTERCHANGE_ENTRIES,
  ...ONNX_IMPORT_ENTRIES,
  ...ONNX_EXPORT_ENTRIES,
  ...TFJS_ENTRIES,
  ...TFJS_EXPORT_SHAPED_ENTRIES,
  ...TFJS_IMPORT_LAYERS_ENTRIES,
  ...TFJS_IMPORT_WEIGHTS_ENTRIES,
  ...SAFETENSORS_INTEROP_ENTRIES,
  ...SAFETENSORS_PYTHON_ENTRIES,
  ...SAFETENSORS_SHAPED_ENTRIES,
  ...SAFETENSORS_TORCH_ENTRIES,
  ...TRAIN_ENTRIES,
  ...HOMEOSTASIS_ENTRIES,
  ...VITALS_ENTRIES,
];

/** Reason by match key (scripts/mutation-rerun.mjs's matchKey). */
export const EQUIVALENT = new Map(
  ENTRIES.map(([file, mutator, code, replacement, why]) => [matchKey(file, mutator, code, replacement), why]),
);
