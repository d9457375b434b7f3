// Why each listed surviving mutant cannot be told apart from the original by any test (equivalent), or
// is harmless: docs/mutation.md prints the reason after the mutant. A mutant here still counts as
// survived in the score (Stryker's score); a `// Stryker disable` comment in the source is the way to
// drop one from it, kept for lines where no other mutant of that mutator can be killed.
//
// Each entry: the file without extension, the mutator, and the code and replacement as the doc shows
// them (one line, cut to 80 characters); they are matched as the doc's lines are, line numbers aside.
import { matchKey } from "./mutation-rerun.mjs";

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
  [
    "src/io/checkpoint",
    "ObjectLiteral",
    "{ force: true }",
    "{}",
    "equivalent without a second process deleting in the folder: force only ignores a file that is gone, and the name was listed by readdirSync a moment before in a folder one run writes",
  ],
  [
    "src/io/checkpoint",
    "BooleanLiteral",
    "true",
    "false",
    "equivalent without a second process deleting in the folder: force only ignores a file that is gone, and the name was listed by readdirSync a moment before in a folder one run writes",
  ],
  [
    "src/io/checkpoint",
    "MethodExpression",
    "names .filter((n) => PATTERN.test(n)) .sort()",
    "names.filter(n => PATTERN.test(n))",
    "equivalent on Linux and macOS: readdirSync already returns names sorted by byte (libuv's scandir sorts with strcmp), so .reverse() alone gives the same order; the sort keeps it so elsewhere",
  ],
  [
    "src/io/checkpoint",
    "ObjectLiteral",
    "{ file: path }",
    "{}",
    "equivalent: the error is caught a few lines down, and only its message, which names the path, reaches warn",
  ],
  [
    "src/io/checkpoint",
    "ConditionalExpression",
    "!(e instanceof HomeostatError)",
    "false",
    "harmless: only an error that is not a HomeostatError tells them apart, that is a bug in decodeModel (whose guards turn every bad input into a ModelFileError), which the mutant would report as a damaged checkpoint instead of throwing",
  ],
  [
    "src/io/crc32",
    "EqualityOperator",
    "byte < 256",
    "byte <= 256",
    "equivalent, both loops: in the first, the extra tables[256] is the slot of k = 1, byte 0, which the second loop writes after; in the second, byte 256 starts from tables[256] (k = 1, byte 0) and rewrites each later table's byte-0 slot with the value it already holds, the last write falling past the end of the Uint32Array",
  ],
  [
    "src/io/crc32",
    "EqualityOperator",
    "k < 8",
    "k <= 8",
    "equivalent: k = 8 writes tables[2048 + byte], past the end of the 2048-entry Uint32Array, so the write is dropped",
  ],
  [
    "src/io/tfjs-files",
    "ArrayDeclaration",
    "[]",
    '["Stryker was here"]',
    "equivalent for the manifest's fallback (the paths' one is killed): when weightsManifest is not an array, a string group is skipped as not an object, so nothing is read either way and importTfjs refuses the manifest",
  ],
  [
    "src/io/safetensors-files",
    "StringLiteral",
    '"utf8"',
    '""',
    'equivalent: readFileSync with encoding "" returns a Buffer, and JSON.parse reads its argument as a string, which for a Buffer is its UTF-8 text',
  ],
  [
    // Two mutants share this key: `let tempExists = false` made true is killed (unit-io-atomic: a failed
    // open deletes nothing); the one after the rename is named here.
    "src/io/atomic",
    "BooleanLiteral",
    "false",
    "true",
    "equivalent for `tempExists = false` after the rename: the flag is read only in the catch block, and no statement after it in the try can throw",
  ],
  [
    "src/io/container-format",
    "ConditionalExpression",
    "new Uint8Array(new Uint16Array([1]).buffer)[0] === 1",
    "true",
    "equivalent on a little-endian host, which every platform Node and the browsers run on is (unit-io-container-format checks the probe against an independent one)",
  ],
  [
    "src/io/container-format",
    "ConditionalExpression",
    "!HOST_LITTLE_ENDIAN",
    "false",
    "equivalent on a little-endian host: the swap runs only on a big-endian one (swapBytes itself is checked directly in unit-io-container-format)",
  ],
  [
    "src/io/container",
    "ConditionalExpression",
    "!HOST_LITTLE_ENDIAN",
    "false",
    "equivalent on a little-endian host: the swap runs only on a big-endian one (swapBytes itself is checked directly in unit-io-container-format)",
  ],
  [
    "src/io/container",
    "ArithmeticOperator",
    "at + tensor.data.byteLength",
    "at - tensor.data.byteLength",
    "no test can reach it on a little-endian host: the byte swap of the payload runs only on a big-endian one",
  ],
  [
    "src/io/container",
    "ConditionalExpression",
    "headerBytes.length > 0xffffffff",
    "false",
    "equivalent: unreachable, a JavaScript string holds at most 2^29 - 24 UTF-16 units (V8), whose UTF-8 is under 1.6 GiB, so no header reaches 4 GiB",
  ],
  [
    "src/io/container",
    "EqualityOperator",
    "headerBytes.length > 0xffffffff",
    "headerBytes.length >= 0xffffffff",
    "equivalent: unreachable, a JavaScript string holds at most 2^29 - 24 UTF-16 units (V8), whose UTF-8 is under 1.6 GiB, so no header reaches 4 GiB",
  ],
  [
    "src/io/container",
    "StringLiteral",
    '"the header is larger than 4 GiB"',
    '""',
    "equivalent: unreachable, a JavaScript string holds at most 2^29 - 24 UTF-16 units (V8), whose UTF-8 is under 1.6 GiB, so no header reaches 4 GiB",
  ],
  [
    "src/io/container-format",
    "ConditionalExpression",
    'typeof value === "number"',
    "true",
    "equivalent: Number.isSafeInteger is false for anything that is not a number, so the typeof test only shortens the check",
  ],
  [
    "src/io/container-format",
    "EqualityOperator",
    "i < bytes.length",
    "i <= bytes.length",
    "equivalent: the extra pass at i = bytes.length reverses an empty subarray",
  ],
  [
    "src/io/container-header",
    "EqualityOperator",
    "version > MODEL_FORMAT_VERSION",
    "version >= MODEL_FORMAT_VERSION",
    "equivalent: version === MODEL_FORMAT_VERSION has returned on the line before",
  ],
  [
    "src/io/container-header",
    "ArrowFunction",
    "(end) => end",
    "() => undefined",
    "equivalent: claimedLength validates with an infinite data length, so the truncation message that calls fileLengthFor is never built there (and any error is caught and dropped)",
  ],
  [
    "src/io/container-header",
    "BlockStatement",
    "{ return undefined; }",
    "{}",
    "equivalent: an empty catch block falls through to the end of the function, which returns undefined",
  ],
  [
    "src/io/container",
    "ConditionalExpression",
    "data === undefined",
    "false",
    "equivalent: there for the type checker; dtypeOf(undefined) is undefined, so the test before it has already thrown",
  ],
  [
    "src/io/container",
    "ConditionalExpression",
    "shape === undefined",
    "false",
    "equivalent: there for the type checker; elementCount(undefined) is undefined, so the test before it has already thrown",
  ],
];

/** Reason by match key (scripts/mutation-rerun.mjs's matchKey). */
export const EQUIVALENT = new Map(
  ENTRIES.map(([file, mutator, code, replacement, why]) => [matchKey(file, mutator, code, replacement), why]),
);
