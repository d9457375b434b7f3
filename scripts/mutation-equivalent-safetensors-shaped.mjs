// The reasons for src/io's surviving mutants of src/io/safetensors-shaped*.ts, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.

/** Why a "valid" window's computed padding is already [0, 0, 0, 0]. */
const VALID_PADS_NOTHING =
  'with "valid", windowGeometry puts nothing before (padTop = padLeft = 0) and out = ⌊(size − extent) / stride⌋ + 1, so (out − 1)·stride + extent − size ≤ 0 and padding() clamps the after to 0: [l, r, t, b] is [0, 0, 0, 0]';

export const SAFETENSORS_SHAPED_ENTRIES = [
  [
    "src/io/safetensors-shaped",
    "ConditionalExpression",
    'padding_ === "valid"',
    "false",
    `equivalent: ${VALID_PADS_NOTHING} (the conv's dilation only widens the extent)`,
  ],
  [
    "src/io/safetensors-shaped",
    "ConditionalExpression",
    'c.padding === "valid"',
    "false",
    `equivalent: ${VALID_PADS_NOTHING} (a pool's dilation is 1)`,
  ],
  [
    "src/io/safetensors-shaped",
    "StringLiteral",
    '"valid"',
    '""',
    `by line: 66 (conv) and 79 (pool) alike: for "valid", ${VALID_PADS_NOTHING}, and for "same" both sides take [l, r, t, b]; only a padding of "" tells them apart, and no layer holds one: Conv2D, Conv1D and the pools refuse any padding but "valid" and "same" when built (paddingOf in src/nn/conv.ts), as the config schema does, so equivalent`,
  ],
  [
    "src/io/safetensors-shaped",
    "MethodExpression",
    "c.shape.slice()",
    "c.shape",
    "equivalent: target is only read (filter and map build new arrays), and the module's shape and out are map's fresh array, so the layer's own shape is never shared or changed either way",
  ],
  [
    "src/io/safetensors-shaped",
    "EqualityOperator",
    "f < m.filters",
    "f <= m.filters",
    "equivalent: the extra filter's indices start at filters·taps·cg, past the end of the Float32Array out in both directions (toTorch writes out[theirs], the other way out[ours]), so its writes are dropped; its reads of data are never stored",
  ],
  [
    "src/io/safetensors-shaped",
    "EqualityOperator",
    "c < cg",
    "c <= cg",
    "equivalent: the extra channel c = cg lands on an index the loop writes later with the right value: ours (f, t, cg) is (f, t + 1, 0), or (f + 1, 0, 0) after the last tap; theirs (f, cg, t) is (f + 1, 0, t); where that is past the end of out (theirs for the last filter, ours for its last tap) the write is dropped (a scratch comparison with the original agreed for 1 to 4 filters, kernels up to 3×3, 1 or 2 groups, 1 to 3 channels a group, both directions)",
  ],
];
