// The reasons for src/continual's surviving mutants that no test can tell apart from the original, in
// the form of scripts/mutation-equivalent.mjs, which spreads them into its list: the file without
// extension, the mutator, the code and replacement as docs/mutation.md prints them, and why.
const WANTS =
  "wantsGradients only decides whether fit copies the gradients into the BatchEvent (absent means yes), which this observer never reads: a cost, not a result";
const WANTS_GRADIENTS = `equivalent: ${WANTS}`;
// A BooleanLiteral `false` → `true` has the same key wherever the `false` is, so its reason names each.
const FALSE_MADE_TRUE = `by line: wantsGradients' \`false\` made true is equivalent, as ${WANTS}; \`{ training: false }\` made true is killed by the dropout models of unit-continual-agem, -er-ace and -lwf, and of unit-continual-der-replay, added after the first run of 2026-12-04`;
const EVAL_MODE =
  "equivalent: layers read an absent ctx.training as false (dropout and batch norm test !ctx.training); `true` is killed by the dropout models of the unit tests";

/** wantsGradients: () => false, as an observer that reads no BatchEvent gradients says. */
const declinesGradients = (file, falseMadeTrue = FALSE_MADE_TRUE) => [
  [file, "ArrowFunction", "() => false", "() => undefined", WANTS_GRADIENTS],
  [file, "BooleanLiteral", "false", "true", falseMadeTrue],
];

const TWO_TASK_FREE =
  "equivalent: strategies can be added to the registry but not removed, and the built-in ones hold four task-free strategies (naive, replay, derpp, erAce), so the one-name branch never runs";

export const CONTINUAL_ENTRIES = [
  ["src/continual/config", "ConditionalExpression", "names.length > 1", "true", TWO_TASK_FREE],
  ["src/continual/config", "StringLiteral", '""', '"Stryker was here!"', TWO_TASK_FREE],
  [
    "src/continual/measures",
    "ConditionalExpression",
    "t > 1",
    "true",
    "equivalent, all four: with t = 1 there is no earlier (or later) task, and mean() of none is 0, as the guard gives",
  ],
  ...declinesGradients("src/continual/strategies/agem"),
  ...declinesGradients("src/continual/strategies/der"),
  ...declinesGradients("src/continual/strategies/er-ace"),
  ...declinesGradients("src/continual/strategies/lwf"),
  ...declinesGradients("src/continual/strategies/replay"),
  ...declinesGradients("src/continual/task-free", WANTS_GRADIENTS),
  ["src/continual/strategies/agem", "ObjectLiteral", "{ training: false }", "{}", EVAL_MODE],
  ["src/continual/strategies/der", "ObjectLiteral", "{ training: false }", "{}", EVAL_MODE],
  ["src/continual/strategies/er-ace", "ObjectLiteral", "{ training: false }", "{}", EVAL_MODE],
  ["src/continual/strategies/lwf", "ObjectLiteral", "{ training: false }", "{}", EVAL_MODE],
  ["src/continual/heads", "ObjectLiteral", "{ training: false }", "{}", EVAL_MODE],
  [
    "src/continual/strategies/agem",
    "EqualityOperator",
    "dot >= 0",
    "dot > 0",
    "equivalent: at g·r = 0 the projection subtracts 0·r, leaving g as the early return does",
  ],
  [
    "src/continual/strategies/agem",
    "ConditionalExpression",
    "norm === 0",
    "false",
    "equivalent: r·r = 0 only when r = 0, and then g·r = 0, so `dot >= 0` has already returned",
  ],
  [
    "src/continual/strategies/agem",
    "EqualityOperator",
    "j < g.length",
    "j <= g.length",
    "equivalent: g[g.length] is past the end of a Float32Array, so the extra write is dropped",
  ],
  [
    "src/continual/strategies/der",
    "EqualityOperator",
    "r < rows",
    "r <= rows",
    "equivalent (columns and sideBySide): the extra row's subarray starts at the end of the data, so it is empty, and setting an empty array at the end of out is allowed and writes nothing",
  ],
  [
    "src/continual/strategies/er-ace",
    "EqualityOperator",
    "r < rows",
    "r <= rows",
    "equivalent: the extra row reads past the end of the target's data, and undefined > 0 is false",
  ],
  [
    "src/continual/strategies/er-ace",
    "EqualityOperator",
    "u < c",
    "u <= c",
    "equivalent: m[c] is past the end of the Float32Array, so the extra write is dropped",
  ],
  [
    "src/continual/strategies/ewc",
    "EqualityOperator",
    "c < k",
    "c <= k",
    "equivalent: p[k] is past the end of the Float64Array, and !(undefined >= 1e-6) skips it",
  ],
  [
    "src/continual/strategies/ewc",
    "EqualityOperator",
    "j < k",
    "j <= k",
    "equivalent: seed[k] is past the end of the Float32Array, so the extra write is dropped",
  ],
  [
    "src/continual/strategies/ewc",
    "EqualityOperator",
    "j < d.length",
    "j <= d.length",
    "equivalent: a[d.length] is past the end of the Float64Array, so the extra write is dropped",
  ],
  [
    "src/continual/strategies/ewc",
    "EqualityOperator",
    "j < a.length",
    "j <= a.length",
    "equivalent: a[a.length] is past the end of the Float64Array, so the extra write is dropped",
  ],
  [
    "src/continual/strategies/ewc",
    "EqualityOperator",
    "i < p.size",
    "i <= p.size",
    "equivalent: sum[size], wsum[size] and m[size] are past the ends of typed arrays, so the extra writes are dropped",
  ],
  [
    "src/continual/strategies/mas",
    "EqualityOperator",
    "j < o.length",
    "j <= o.length",
    "equivalent: o[o.length] is past the end of the Float64Array, so the extra write is dropped",
  ],
  [
    "src/continual/strategies/ewc",
    "EqualityOperator",
    "p[c] >= MIN_PROBABILITY",
    "p[c] > MIN_PROBABILITY",
    "harmless: differs only for a class of probability exactly 1e-6, whose term p·g² is below 1e-6·g²",
  ],
  [
    "src/continual/strategies/ewc",
    "ConditionalExpression",
    "!(p[c] >= MIN_PROBABILITY)",
    "false",
    "harmless: the skip is a shortcut; a class below probability 1e-6 adds p·g² < 1e-6·g² to the expected Fisher, and a masked unit (p = 0 exactly) adds 0",
  ],
  [
    "src/continual/strategies/ewc",
    "ConditionalExpression",
    "p[c] >= MIN_PROBABILITY",
    "true",
    "harmless: as the line above, no class is skipped",
  ],
  [
    "src/continual/strategies/online-ewc",
    "EqualityOperator",
    "i < r.length",
    "i <= r.length",
    "equivalent: r[r.length] is past the end of the Float64Array, so the extra write is dropped",
  ],
  [
    "src/continual/strategies/si",
    "LogicalOperator",
    "w && a",
    "w || a",
    "equivalent: importance and anchor are set together (onTaskEnd, or setState of a saved state), so both or neither is null",
  ],
  [
    "src/continual/strategies/si",
    "LogicalOperator",
    "wi && ai",
    "wi || ai",
    "equivalent: as w && a above; both maps hold every parameter's name",
  ],
  [
    "src/continual/strategies/si",
    "ArrowFunction",
    "() => true",
    "() => undefined",
    "equivalent: an absent wantsGradients means yes, so fit still copies the gradients SI's path integral reads",
  ],
  [
    "src/continual/strategies/si",
    "EqualityOperator",
    "i < now.length",
    "i <= now.length",
    "equivalent: the extra writes to sum[length] and prev[length] fall past the ends of typed arrays and are dropped",
  ],
  [
    "src/continual/strategies/si",
    "EqualityOperator",
    "i < o.length",
    "i <= o.length",
    "equivalent: o[length] is past the end of a Float64Array, so the extra write is dropped",
  ],
  [
    "src/continual/task-free",
    "ArithmeticOperator",
    "train.tasks.length - 1",
    "train.tasks.length + 1",
    "equivalent: the class head's mask takes the units of tasks.slice(0, stage + 1), every task for any stage from the last on; domain is the plain loss and task is refused",
  ],
  [
    "src/continual/task-free",
    "ConditionalExpression",
    "next < ends.length",
    "true",
    "equivalent: past the last boundary ends[next] is undefined and consumed >= undefined is false, so the loop stops alike",
  ],
  [
    "src/continual/task-free",
    "EqualityOperator",
    "next < ends.length",
    "next <= ends.length",
    "equivalent: as above, ends[ends.length] is undefined and the comparison with it false",
  ],
  [
    "src/continual/task-free",
    "ArrayDeclaration",
    "[]",
    '["Stryker was here"]',
    "harmless: with a strategy without an observer, fit gets a string among its observers, which has none of the optional hooks fit calls; its only effect is that fit copies the gradients (absent wantsGradients means yes)",
  ],
];
