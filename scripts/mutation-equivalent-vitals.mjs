// The reasons for the surviving mutants of the vitals loop's files in src/homeostasis (vital-loop,
// vital-replay, vital-consolidation, vital-state) and of the regulators beside them (cbp, intrinsic,
// redo, scaling, shrink-perturb), in the form of scripts/mutation-equivalent.mjs, which spreads them
// into its list: the file without extension, the mutator, the code and replacement as
// docs/mutation.md prints them, and why the mutant is equivalent or harmless.
const LOOP = "src/homeostasis/vital-loop";
const HOOK =
  "equivalent: the loop's own monitor is a healthMonitor, which defines every observer hook and getState/setState";
const TIE = "harmless: differs only when the two values are exactly equal";
const REGS =
  "equivalent: every remedy index in `active` has its regulators in `regs` (switchOn and setState set both), so the fallback is never taken";

const SPLIT =
  "harmless: each index then forms its own group, so a consumer's bias gains ĥ·w one weight at a time instead of ĥ·Σw, the same sum up to float rounding (the mean transfer keeps an output approximately, by design)";
const QUIET =
  "equivalent: the test is reached only for a rate at most QUIET · target (QUIET = 0.1) with target > 0 (the step returns before otherwise), which is below the target";
const SCRATCH = "equivalent: onTrainBegin empties the per-layer scratch list before the first step fills it";

export const VITALS_ENTRIES = [
  [
    "src/homeostasis/vital-memory",
    "EqualityOperator",
    "yCols > store.yCols",
    "yCols >= store.yCols",
    "harmless: only speed; at the same width the targets are copied into a new buffer of the same width, the same values",
  ],
  [
    "src/homeostasis/vital-memory",
    "EqualityOperator",
    "r < store.size",
    "r <= store.size",
    "equivalent: the extra row is past the rows held: zeros copied onto zeros, or an empty subarray when the store is full",
  ],
  [
    "src/homeostasis/vital-memory",
    "ConditionalExpression",
    "store.size === 0",
    "false",
    "harmless: a store that holds no row has width 0, so the width test returns the batch as well, unless it was offered a batch of 0 rows; only then would a row of zeros be replayed",
  ],
  ["src/homeostasis/cbp", "ArrayDeclaration", "[]", '["Stryker was here"]', SCRATCH],
  [
    "src/homeostasis/cbp",
    "EqualityOperator",
    "k < indices.length",
    "k <= indices.length",
    "equivalent: at k = length the index is undefined and its row NaN, which matches no unit and ends the group; the outer loop's extra pass adds to bias[NaN], which a typed array ignores",
  ],
  [
    "src/homeostasis/cbp",
    "ConditionalExpression",
    "k < indices.length && Math.floor(indices[k] / fanIn) === r",
    "false",
    SPLIT,
  ],
  [
    "src/homeostasis/cbp",
    "ConditionalExpression",
    "k < indices.length",
    "true",
    "equivalent: past the end the index is undefined, its row NaN, which ends the group",
  ],
  ["src/homeostasis/cbp", "EqualityOperator", "k < indices.length", "k >= indices.length", SPLIT],
  ["src/homeostasis/cbp", "ArithmeticOperator", "indices[k] / fanIn", "indices[k] * fanIn", SPLIT],
  ["src/homeostasis/intrinsic", "ArrayDeclaration", "[]", '["Stryker was here"]', SCRATCH],
  [
    "src/homeostasis/redo",
    "ArithmeticOperator",
    "since + 1",
    "since - 1",
    "harmless: another step of each sampling period is scored (the second instead of the last), as many steps as before",
  ],
  ["src/homeostasis/scaling", "ConditionalExpression", "s.rHat[u] < s.target", "true", QUIET],
  ["src/homeostasis/scaling", "EqualityOperator", "s.rHat[u] < s.target", "s.rHat[u] <= s.target", QUIET],
  [
    "src/homeostasis/shrink-perturb",
    "ConditionalExpression",
    "d[i] !== 0",
    "true",
    "equivalent: a 0 is below the flush bound and is set to 0 again",
  ],
  [
    "src/homeostasis/shrink-perturb",
    "EqualityOperator",
    "Math.abs(d[i]) < DENORMAL_FLUSH",
    "Math.abs(d[i]) <= DENORMAL_FLUSH",
    "equivalent: the bound is 1e-30, which no float32 weight equals (Math.fround(1e-30) lies above it)",
  ],
  [
    "src/homeostasis/vital-state",
    "StringLiteral",
    '"vitals"',
    '""',
    "harmless: the loop's draws come from another fork of the same seed, as random and as reproducible; checkpoints carry the state",
  ],
  [
    "src/homeostasis/vital-state",
    "BooleanLiteral",
    "false",
    "true",
    "harmless (`episode`'s first value): only when the rule already holds at the loop's first reading, the loop then waits for a reading where it does not before it acts",
  ],
  [
    "src/homeostasis/vital-consolidation",
    "EqualityOperator",
    "i < g.length",
    "i <= g.length",
    "equivalent: the extra pass reads g[length] (undefined, so NaN) and writes it past the Float32Array's end, which a typed array ignores",
  ],
  [
    LOOP,
    "ConditionalExpression",
    "o.deadUnits !== undefined",
    "true",
    "equivalent: a repair list naming deadUnits, without the deadUnits detector, repairs no finding, and a list keeps no rollback snapshot (test: the loop's monitor keeps none)",
  ],
  [LOOP, "ArrayDeclaration", "[]", '["Stryker was here"]', REGS],
  [
    LOOP,
    "EqualityOperator",
    "before.dormant >= plasticityOptions.dormantMost",
    "before.dormant > plasticityOptions.dormantMost",
    `${TIE}: a window's mean dormant fraction of exactly 0.5`,
  ],
  [
    LOOP,
    "BooleanLiteral",
    "true",
    "false",
    "equivalent: `st.episode = true` before tryNext; when tryNext switched a remedy on, the pending branch decides every reading until its verdict (which sets the episode itself); when it found none the loop is exhausted, and a second call only marks it so again",
  ],
  [
    LOOP,
    "ConditionalExpression",
    "st.pending !== null",
    "false",
    "harmless: only with renewAfter 1, where the budget could renew at the very check a pending remedy is judged (a remedy's window is one window of calm at most); at 2 or more a pending remedy is judged first",
  ],
  [
    LOOP,
    "OptionalChaining",
    "monitor.onBatchEnd?.(probe ? { ...e, batch: probe, activations: activationsOn…",
    "monitor.onBatchEnd(probe ? { ...e, batch: probe, activations: activationsOn(c…",
    HOOK,
  ],
  [LOOP, "OptionalChaining", "monitor.getState?.()", "monitor.getState()", HOOK],
  [LOOP, "OptionalChaining", "monitor.setState?.(s.monitor)", "monitor.setState(s.monitor)", HOOK],
  [LOOP, "OptionalChaining", "monitor.onTrainBegin?.(c)", "monitor.onTrainBegin(c)", HOOK],
  [LOOP, "OptionalChaining", "monitor.onEpochEnd?.(e, c)", "monitor.onEpochEnd(e, c)", HOOK],
  [
    LOOP,
    "BooleanLiteral",
    "false",
    "true",
    "equivalent: `uncapped`'s first value; onTrainBegin sets it from the optimiser before any step asks for a loss term",
  ],
  [
    LOOP,
    "ConditionalExpression",
    "stable?.of !== k.importance || stable.value !== k.value || stable.lr !== lr",
    "true",
    "harmless: only speed, the capped importance remade at every step from the same importance, strength and learning rate",
  ],
  [
    LOOP,
    "EqualityOperator",
    "f.forgetting <= o.forgettingBudget",
    "f.forgetting < o.forgettingBudget",
    `${TIE}: forgetting exactly at the budget (a ratio of row counts) moves the consolidation anchor or not`,
  ],
  [
    LOOP,
    "ConditionalExpression",
    "mem.checks !== st.plasticityChecks",
    "true",
    "equivalent: between two checks the plasticity memory does not change, and what a reading decides is done once: a verdict clears the pending remedy and restarts the window (no reading until it refills), an episode is marked, and a renewal restarts its own count",
  ],
  [
    LOOP,
    "ConditionalExpression",
    "f.probes !== st.forgettingProbes",
    "true",
    "not killed: the knobs' decisions are the same between probes (their clocks count probes), but with consolidation the anchor would be retaken at every step after a probe within the budget instead of at the probe; no unit test holds forgetting within the budget while consolidation is on",
  ],
  [
    LOOP,
    "ConditionalExpression",
    "c.optimizerType !== undefined",
    "true",
    "equivalent: scalesEachWeight(undefined) is false, as the guard makes it",
  ],
  [
    LOOP,
    "ConditionalExpression",
    "st.share > 0",
    "true",
    "equivalent: the asymmetric loss is raised only once the share is at its ceiling and lowered before it (knobs are lowered in reverse order), so ace.value > 0 implies share > 0",
  ],
  [LOOP, "EqualityOperator", "st.share > 0", "st.share >= 0", "equivalent: as above"],
  [
    LOOP,
    "ConditionalExpression",
    "t",
    "true",
    "not killed: the asymmetric term is null only for a batch that got no replayed row (a share below 1, possible with maxReplay below 1, at batch 1), and then only consolidation's term beside it would make the mutant add a null",
  ],
  [
    LOOP,
    "ConditionalExpression",
    "consolidating",
    "true",
    "equivalent: the step's learning rate is kept in the consolidation state, which only consolidation's cap reads",
  ],
  [
    "src/homeostasis/vital-replay",
    "ConditionalExpression",
    "s.peak < budget / 2",
    "true",
    "equivalent for any state written since calmFrom: a probe at half the budget or more resets the peak to 0 and restarts the calm stretch, so a stretch's peak is below half; the test stays for checkpoints from before calmFrom, whose peak may not be",
  ],
  [
    "src/homeostasis/vital-replay",
    "EqualityOperator",
    "s.peak < budget / 2",
    "s.peak <= budget / 2",
    "equivalent: as above",
  ],
  ["src/homeostasis/vital-replay", "ArithmeticOperator", "budget / 2", "budget * 2", "equivalent: as above"],
  [
    "src/homeostasis/vital-replay",
    "ConditionalExpression",
    "v < k.ceiling",
    "true",
    "equivalent: each step is clamped to the ceiling, so steps taken at the ceiling leave it there",
  ],
  [
    "src/homeostasis/vital-replay",
    "EqualityOperator",
    "v < k.ceiling",
    "v <= k.ceiling",
    "equivalent: as above",
  ],
];
