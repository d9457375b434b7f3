// The reasons for src/train's and src/homeostasis's surviving mutants, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension, the
// mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is equivalent
// or harmless. "Only speed" reasons for run.ts are checked by scripts/mutation-speed-only.mjs, which
// trains small runs with each of them applied and requires the same bits.
const ONLY_SPEED = "harmless: only speed (scripts/mutation-speed-only.mjs: the same bits in every run)";

export const TRAIN_ENTRIES = [
  [
    "src/train/fit",
    "ConditionalExpression",
    "split === undefined",
    "false",
    "equivalent: a shortcut; !(undefined > 0) is true, so the same line returns the same without it",
  ],
  [
    "src/train/run",
    "ConditionalExpression",
    "this.observers.length > 0",
    "true",
    `${ONLY_SPEED}: with no observer it fills the private map of live gradients, which nothing reads`,
  ],
  [
    "src/train/run",
    "EqualityOperator",
    "this.observers.length > 0",
    "this.observers.length >= 0",
    `${ONLY_SPEED}: as above`,
  ],
  [
    "src/train/run",
    "ConditionalExpression",
    "!copy || copy.length !== grads[i].length",
    "true",
    `${ONLY_SPEED}: a new copy of each gradient every step, handed out as before`,
  ],
  [
    "src/train/run",
    "ConditionalExpression",
    "copy.length !== grads[i].length",
    "false",
    "equivalent: a run's parameters are fixed when it starts and keep their sizes, so a kept copy always fits",
  ],
  [
    "src/train/run",
    "EqualityOperator",
    "copy.length !== grads[i].length",
    "copy.length === grads[i].length",
    `${ONLY_SPEED}: a new copy of each gradient every step, as above`,
  ],
  [
    "src/train/run",
    "ConditionalExpression",
    "!u",
    "true",
    `${ONLY_SPEED}: the optimiser works on the gradient arrays instead of the resident buffers; a deferred gradient's array is its buffer`,
  ],
  [
    "src/train/run",
    "ConditionalExpression",
    "this.deferred.size > 0",
    "true",
    `${ONLY_SPEED}: stepDeferred with no deferred gradient is step`,
  ],
  [
    "src/train/run",
    "EqualityOperator",
    "this.deferred.size > 0",
    "this.deferred.size >= 0",
    `${ONLY_SPEED}: a size is never below 0, so this is the \`true\` above: stepDeferred with no deferred gradient is step`,
  ],
  [
    "src/train/run",
    "ConditionalExpression",
    "u !== g",
    "true",
    `${ONLY_SPEED}: where u is g, u.set(g) copies the array onto itself`,
  ],
  [
    "src/train/run",
    "LogicalOperator",
    "this.deferred.size > 0 && optimizer.stepDeferred",
    "this.deferred.size > 0 || optimizer.stepDeferred",
    "equivalent: a built-in optimiser's step is stepDeferred with no deferred gradient (the same bits: scripts/mutation-speed-only.mjs), and nothing is deferred for one without stepDeferred",
  ],
];

const ABOVE =
  "Math.fround(1e-30) is 1.0000000031710769e-30, above 1e-30, so the branch that adds 1 is never taken";

export const HOMEOSTASIS_ENTRIES = [
  [
    // columnSums (both loops) and columnAbsDeviation.
    "src/homeostasis/units",
    "EqualityOperator",
    "u < units",
    "u <= units",
    "equivalent: u = units adds to sum[units] (sq, into), past the Float64Array's end, where the write is dropped",
  ],
  [
    "src/homeostasis/units",
    "ConditionalExpression",
    "f[0] < DENORMAL_FLUSH",
    "false",
    `equivalent: ${ABOVE}`,
  ],
  [
    "src/homeostasis/units",
    "EqualityOperator",
    "f[0] < DENORMAL_FLUSH",
    "f[0] <= DENORMAL_FLUSH",
    "equivalent: Math.fround(1e-30) is 1.0000000031710769e-30, neither below nor equal to 1e-30, so the branch that adds 1 is never taken",
  ],
  ["src/homeostasis/units", "ArithmeticOperator", "bits + 1", "bits - 1", `equivalent: ${ABOVE}`],
  [
    "src/homeostasis/units",
    "ConditionalExpression",
    "a instanceof Float32Array",
    "false",
    "harmless: only speed; float32 weights then take the float64 loop's |x| < 1e-30, which the bit test equals bit for bit (test/unit-homeostasis-edges.test.ts checks the two against each other)",
  ],
  [
    "src/homeostasis/units",
    "BlockStatement",
    "{ const bits = new Int32Array(a.buffer, a.byteOffset, a.length); // Stryker d…",
    "{}",
    "harmless: only speed; float32 weights then take the float64 loop's |x| < 1e-30, which the bit test equals bit for bit (test/unit-homeostasis-edges.test.ts checks the two against each other)",
  ],
];
