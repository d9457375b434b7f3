/**
 * The text of `homeostat <command> --help`, one page per command; help.ts lays them out. docs/cli.md is
 * the long form of the same pages. Each page lists every flag its command's parser accepts (checked by
 * test/cli-help.test.ts), so a flag added in main.ts without a line here fails that test.
 */

/** One flag: how it is written (short form, long form, what it takes) and what it does, default included. */
export interface FlagDoc {
  flag: string;
  doc: string;
}

/** The flags every command but bench accepts (`common` in main.ts). */
export type CommonFlag = "json" | "quiet" | "seed" | "backend" | "threads" | "help";

export interface HelpPage {
  /** Ways to call it, without the leading "homeostat ". */
  usage: string[];
  /** What the command does, a paragraph. */
  about: string;
  flags: FlagDoc[];
  /** What each common flag does here; absent: the command does not take the common flags (bench). */
  common?: Record<CommonFlag, string>;
  /** Titled blocks: input formats, human output, --json output. Bodies are laid out as written. */
  sections: [title: string, body: string][];
  exit: string;
  examples: string[];
}

const JSON_FLAG =
  "print one JSON object summarising the result as the last line of standard output, instead of the human lines";
const QUIET = "print nothing but errors (and the JSON line with --json)";
const NO_EFFECT = "accepted by every command; no effect here";
const KERNELS = {
  backend: "where the kernels run: auto (wasm where WebAssembly SIMD loads, else js), js or wasm",
  threads:
    "threads for large matrix products on the wasm backend, an integer ≥ 1 (default: the cores available)",
};
const HELP = "this page";
/** eval and predict: they run a saved model, by default where it was trained. */
const MODEL_COMMON: Record<CommonFlag, string> = {
  json: JSON_FLAG,
  quiet: QUIET,
  seed: NO_EFFECT,
  backend: `${KERNELS.backend} (default: where the model was trained)`,
  threads: KERNELS.threads,
  help: HELP,
};
/** report, export and import: no kernels run, nothing is random. */
const NO_KERNELS_COMMON: Record<CommonFlag, string> = {
  json: JSON_FLAG,
  quiet: QUIET,
  seed: NO_EFFECT,
  backend: NO_EFFECT,
  threads: NO_EFFECT,
  help: HELP,
};

const TRAIN_JSON = `  command           "train" ("demo mnist" for the demo)
  data              where the data came from, in words
  test              on the held-out test split: {"loss", "accuracy", "samples"} (classification) or
                    {"loss", "mse", "mae", "samples"} (regression)
  train             the last epoch's training metrics: {"loss", "accuracy"} or {"loss", "mse",
                    "mae"}
  epochs, steps     epochs run (fewer than asked when the run stopped early), optimiser steps
  samplesPerSecond  training throughput
  backend           "js" or "wasm": where the kernels ran
  wallSeconds       the whole command, loading included
  parameters        trainable parameters of the model
  model             the model file's absolute path (written only when the run did not fail)
  stopReason        why the run stopped early (early stopping, a plateau); absent otherwise
  failed            why training failed beyond repair (exit code 1); absent otherwise
  health            {"events": [{"step", "kind", "layer", "evidence", "diagnosis", "action",
                    "repaired"}]}: what the health monitor found before (step 0) and during training
  record            the run record (JSON) written beside the model: model.hmst → model.record.json
  report            the HTML report, when the run config's "report" asks for one
  Numbers that are not finite print as null.`;

const CSV_RULES = `  CSV (RFC 4180): comma-separated, quoted fields ("" escapes a quote); a UTF-8 byte-order mark,
  CRLF line ends and blank lines are fine. Numbers are read strictly: decimal or exponent notation,
  quoted or not ("5.1"). An empty cell or NaN is an error naming the file, line and column unless
  the model was trained with "missing": "mean" or "zero" in its run config's data (it is then filled
  with the value training used, saved in the model file); ±Infinity and values beyond float32's
  range (1e39, 1e400) are always errors.`;

export const PAGES = {
  demo: {
    usage: ["demo seed [common flags]", "demo [mnist] [--epochs N] [--out FILE] [common flags]"],
    about:
      "Two demonstrations on bundled data. `demo seed`: the linear regression of the article Homeostat grew out of (X = [[1,2],[2,3],[3,4],[4,5]], y = X·[1,2] + 3), trained by plain gradient descent; why its individual weights cannot be identified (the features are collinear), and why the article's sigmoid output cannot fit targets of 8 to 17. `demo mnist` (the default; what `npm start` runs): trains a 784 → dense 256 relu → dropout 0.2 → dense 10 softmax network on the bundled MNIST digits (8,000 train / 2,000 test; Adam 0.002, cosine schedule, random shifts of up to 2 pixels, batches of 64) and saves it: the run of examples/mnist.json.",
    flags: [
      {
        flag: "--epochs N",
        doc: "demo mnist: epochs to train, an integer ≥ 1 (default 20); the cosine schedule is stretched to N × 125 steps",
      },
      {
        flag: "--out FILE",
        doc: "demo mnist: where to save the model (default runs/mnist/model.hmst, relative to the working directory); the run record goes beside it",
      },
    ],
    common: {
      json: JSON_FLAG,
      quiet: QUIET,
      seed: "demo seed: seed of the initial weights (default 0); demo mnist: the run's seed (default 1)",
      backend: `demo mnist: ${KERNELS.backend}; demo seed runs on js`,
      threads: `demo mnist: ${KERNELS.threads}`,
      help: HELP,
    },
    sections: [
      [
        "Output",
        `  demo seed: the fitted weights and bias, what the data does determine (w₁ + w₂ and w₂ + b), and the
  sigmoid variant's MSE with the reason it stalls. demo mnist: the same lines as train (see
  homeostat train --help).`,
      ],
      [
        "--json output",
        `  demo seed: {"command": "demo seed", "mse", "weights": [w1, w2], "bias", "collinear", "rank",
    "identifiable": {"w1+w2", "w2+b"}, "sigmoidVariant": {"mse", "lowerBound", "canFit"}}
  demo mnist: the object train prints (homeostat train --help), with "command": "demo mnist".`,
      ],
    ],
    exit: "0 done; 1 demo mnist failed beyond repair (the model is not saved); 2 bad usage (an unknown demo, a bad --epochs)",
    examples: ["homeostat demo seed", "homeostat demo mnist --epochs 2 --out /tmp/mnist.hmst --json"],
  },

  train: {
    usage: [
      "train --config run.json [--out FILE] [common flags]",
      "train --resume CHECKPOINT_DIR [--out FILE] [common flags]",
    ],
    about:
      "Trains a model as a run config says: validates the whole config first (every mistake names the file and the field), loads the data, checks data and model before training, trains with the health monitor watching (and, by default, repairing), evaluates on the held-out test split, saves the model file atomically and writes a run record beside it. Every run-config key, its range and default: docs/cli.md.",
    flags: [
      { flag: "-c, --config FILE", doc: "the run config (JSON); required unless --resume" },
      {
        flag: "--resume DIR",
        doc: 'continue a checkpointed run (the config\'s "checkpoint" section wrote DIR) exactly where it stopped; the run config comes from the checkpoint, so --config is refused',
      },
      {
        flag: "--out FILE",
        doc: 'where to save the model, instead of the config\'s "out" (default: model.hmst beside the config)',
      },
    ],
    common: {
      json: JSON_FLAG,
      quiet: QUIET,
      seed: "the run's seed, instead of the config's \"seed\" (default 0); not with --resume, which keeps the checkpoint's",
      backend: `${KERNELS.backend}; instead of the config's "backend" (default auto)`,
      threads: `${KERNELS.threads}; instead of the config's "threads"`,
      help: HELP,
    },
    sections: [
      [
        "Input",
        `  A run config (JSON): seed, data, model, loss, optimizer, schedule, clip, epochs, batchSize,
  earlyStopping, augment, checkpoint, health, homeostasis, out, report, backend, threads, plugins
  (modules exporting register(registries), imported first, that add your own kinds to those below).
  Data: the bundled MNIST digits, IDX files (raw or .gz), or a CSV file with a header row; "target"
  names the target column, every other column is a feature.
${CSV_RULES}`,
      ],
      [
        "Output",
        `  A header (data, backend, model, optimiser, epochs × batches), one line per epoch (loss, accuracy,
  validation loss and accuracy, learning rate, seconds; on a terminal also a progress bar on
  standard error), the health monitor's events as they happen, then the test metrics, timings, and
  where the model, the run record and the report were written.`,
      ],
      ["--json output", TRAIN_JSON],
    ],
    exit: "0 trained and saved; 1 training failed beyond repair (standard error says why; the model file is not written and a previous one is kept; the run record is written); 2 bad usage, run config or data",
    examples: [
      "homeostat train --config examples/iris.json",
      "homeostat train --config run.json --out model.hmst --json | tail -n 1",
      "homeostat train --resume checkpoints",
    ],
  },

  eval: {
    usage: [
      "eval --model FILE --data mnist [common flags]",
      "eval --model FILE --data FILE.csv [--target COLUMN] [common flags]",
      "eval --model FILE --images FILE --labels FILE [common flags]",
      "eval --model FILE --config run.json [common flags]",
    ],
    about:
      "Evaluates a model file on labelled data and prints its loss and accuracy (classification) or MSE and MAE (regression). The model's input normalisation and missing-value fills are applied as in training, and it runs where it was trained unless --backend says otherwise, so it reproduces the test metrics train reported.",
    flags: [
      { flag: "-m, --model FILE", doc: "the model file (required)" },
      {
        flag: "--data SOURCE",
        doc: "mnist (the bundled test split, 2,000 digits) or a CSV file with a header row; not with --config",
      },
      {
        flag: "--target COLUMN",
        doc: "the CSV column that holds the targets (default: the target column the model was trained with)",
      },
      { flag: "--images FILE", doc: "IDX images (raw or .gz), with --labels" },
      { flag: "--labels FILE", doc: "IDX labels (raw or .gz), with --images" },
      {
        flag: "-c, --config FILE",
        doc: "evaluate on the test data of this run config: its test file, or the held-out split training used (same seed and testSplit); not with --data",
      },
    ],
    common: MODEL_COMMON,
    sections: [
      [
        "Input",
        `${CSV_RULES}
  The header is required (it names the target column). Feature columns are matched by name to the
  features the model was trained on, in any order; a missing or unknown column is an error listing
  both sets. Labels are matched by the model's class names: a file may hold any subset of the
  classes, and a label the model does not know is an error naming it and its line.`,
      ],
      [
        "Output",
        `  Homeostat · eval · MODEL on DATA · BACKEND backend
  accuracy 97.50%  loss 0.0812  (2,000 samples)          classification
  mse 0.1234  mae 0.2345  loss 0.1234  (400 samples)     regression`,
      ],
      [
        "--json output",
        `  {"command": "eval", "model": PATH, "data": DESCRIPTION, "backend": "js" | "wasm",
   "test": {"loss", "accuracy", "samples"}          (regression: {"loss", "mse", "mae", "samples"}),
   "samplesPerSecond", "wallSeconds"}`,
      ],
    ],
    exit: "0 evaluated; 2 bad usage, model file or data (the message names the file, line and column)",
    examples: [
      "homeostat eval --model runs/mnist/model.hmst --data mnist",
      "homeostat eval -m runs/iris/model.hmst --data examples/iris-like.csv --json",
    ],
  },

  predict: {
    usage: ["predict --model FILE --input FILE.csv|FILE.json|FILE.jsonl|- [common flags]"],
    about:
      "Predicts one output per input row with a model file: a class and its probability (classification) or a value (regression). The model's input normalisation and missing-value fills are applied as in training.",
    flags: [
      { flag: "-m, --model FILE", doc: "the model file (required)" },
      {
        flag: "-i, --input FILE",
        doc: "the rows to predict: CSV, JSON or JSON Lines; - reads standard input (required)",
      },
    ],
    common: MODEL_COMMON,
    sections: [
      [
        "Input",
        `${CSV_RULES}
  A header is optional: a first row is one when it holds a non-empty cell that is not a number. With
  a header, columns are matched by name to the model's features, in any order (a missing or unknown
  name is an error listing both sets; the target column the model was trained with may be present
  and is ignored). Without one, columns are taken by position and every row must have exactly as
  many values as the model has features.
  JSON: an array of arrays (by position), an array of objects keyed by feature name, or JSON Lines
  (one array or object per line): [[5.1, 3.5, 1.4, 0.2]] or {"sepal_length": 5.1, …}. null counts as
  a missing value.`,
      ],
      [
        "Output",
        `  One line per row:
  row 1: setosa  (p = 0.9876)        classification: the most probable class and its probability
  row 1: 1.23                        regression`,
      ],
      [
        "--json output",
        `  {"command": "predict", "model": PATH, "backend": "js" | "wasm", "predictions": [
     {"row": 1, "label": "setosa", "probability": 0.98, "output": [0.98, 0.01, 0.01]}, …]}
  classification: label (a class name), probability (its output), output (every output unit,
  in the model's class order); regression: {"row": 1, "value": 1.23, "output": [1.23]}.`,
      ],
    ],
    exit: "0 predicted; 2 bad usage, model file or input (the message names the file, line and column)",
    examples: [
      "homeostat predict -m runs/iris/model.hmst -i rows.csv",
      "echo '[[5.1, 3.5, 1.4, 0.2]]' | homeostat predict -m runs/iris/model.hmst -i - --json",
    ],
  },

  continual: {
    usage: [
      "continual --config run.json [--json | --quiet]",
      "continual --resume CHECKPOINT_DIR [--json | --quiet]",
    ],
    about:
      "Trains a network on a stream of tasks cut from the bundled MNIST digits with a continual-learning strategy, and reports the accuracy matrix R (accuracy on task j after training task i), ACC, BWT, FWT, forgetting and intransigence against a joint model. With \"online\": true, the plasticity protocol instead: each task's online accuracy and the hidden layers' balance (dead and dormant units, effective rank, mean |w|). Writes a run record, and an HTML report when the config asks. Runs on the js backend unless --backend or --threads say otherwise.",
    flags: [
      {
        flag: "-c, --config FILE",
        doc: 'the run config: {"continual": {…}, "checkpoint"?, "out"?, "report"?, "description"?}; required unless --resume',
      },
      {
        flag: "--resume DIR",
        doc: "continue a checkpointed continual run exactly where it stopped (same weights, same R); the config comes from the checkpoint, so --config is refused",
      },
    ],
    common: {
      json: JSON_FLAG,
      quiet: QUIET,
      seed: "override continual.seed (not with --resume, which keeps the checkpoint's)",
      backend: `${KERNELS.backend} (default: js)`,
      threads: KERNELS.threads,
      help: HELP,
    },
    sections: [
      [
        "Run config",
        `  "continual" (every key optional but strategy; defaults in brackets):
    stream "split" | "permuted" | "rotated" [split]    scenario "task" | "domain" | "class" [class]
    tasks integer ≥ 1 [5 for split (at most 5), else 10]
    taskFree boolean [false]: no task boundaries (naive or replay; not with scenario "task")
    strategy: a name or {"type": name, …hyper-parameters} (below)
    epochs [5], batchSize [64]: per task        seed integer ≥ 0 [0]
    optimizer [{"type": "adam", "lr": 0.001}]: a fresh state per task, unless
    keepOptimizerState [false]
    model {"layers": [hidden layers]} [two dense 100 relu]; the softmax output layer is added
    compareJoint [true]: also train a joint model (intransigence, upper bound)
    evaluateOn "test" | "validation" [test], validationFraction in (0, 0.9] [0.15]
    trainPerTask, testPerTask: caps on rows per task [all]
    homeostasis: regulators, as in train [none]      online [false], probeRows [500]
  Beside it: "checkpoint" {"every", "keep" [3], "dir" [checkpoints]}; "out": the run record
  [continual.record.json beside the config]; "report": an HTML file [none].`,
      ],
      [
        "Output",
        `  One line per task, then R as a table, ACC, BWT, FWT, both forms of forgetting, intransigence and
  the joint model's ACC, wall time and the run record's path. Online: one line per task with its
  online accuracy, then the first and last tasks' accuracy, each hidden layer's balance before the
  first task → after the last, and how many units each regulator replaced.`,
      ],
      [
        "--json output",
        `  {"command": "continual", "continual": {"strategy", "stream", "scenario", "tasks" (task names),
    "R" (R[i][j], fractions), "b" (accuracy of the untrained network per task), "ACC", "BWT", "FWT",
    "forgetting": {"maxOverEarlier", "justTrainedMinusLast", "perTaskMaxOverEarlier",
    "perTaskJustTrainedMinusLast"}, "intransigence", "jointACC"}, "wallSeconds", "record", "report"}
  intransigence and jointACC are null without the joint model. Online: "continual" is {"strategy",
  "stream", "scenario", "tasks" (a count), "homeostasis" (regulator types), "online": {"accuracy"
  (per task), "balance" (per probe, per layer: "layer", "units", "deadFraction",
  "dormantFraction", "effectiveRank", "meanAbsWeight", "firingRateError", "activityCV"),
  "regulators"}, "firstAccuracy", "lastAccuracy"}.`,
      ],
    ],
    exit: "0 done; 2 bad usage or run config (the message names the field)",
    examples: [
      "homeostat continual --config examples/split-replay.json",
      "homeostat continual --resume online-permuted-checkpoints --json",
    ],
  },

  report: {
    usage: ["report RECORD.json [RECORD2.json] [--out FILE.html] [--json | --quiet]"],
    about:
      "Renders a run record (written by train, demo mnist and continual) as one self-contained HTML page: the diagnosis, loss and learning-rate curves, health statistics and events, and for continual runs the accuracy heatmap and measures. Two records are compared on the same axes.",
    flags: [
      {
        flag: "-o, --out FILE.html",
        doc: "where to write the page (default: the first record's path with .json replaced by .html)",
      },
    ],
    common: NO_KERNELS_COMMON,
    sections: [
      ["Input", "  One or two run records (JSON, as train and continual write them beside their output)."],
      ["Output", "  report written to PATH (N KiB, S s)"],
      [
        "--json output",
        `  {"command": "report", "records": [absolute paths], "report": absolute path, "bytes": page size}`,
      ],
    ],
    exit: "0 written; 2 bad usage, an unreadable or invalid record, or an output that cannot be written",
    examples: [
      "homeostat report runs/mnist/model.record.json --out run.html",
      "homeostat report a.record.json b.record.json -o compare.html",
    ],
  },

  export: {
    usage: ["export --model FILE --format onnx|tfjs --out PATH [--json | --quiet]"],
    about:
      'Writes a model\'s inference graph as ONNX (opset 17; input "input" [batch, features] float32, output "output") or as a TensorFlow.js layers model. Dropout is left out. The input normalisation is not part of either graph: feed it inputs normalised as in training (the output says which mode).',
    flags: [
      { flag: "-m, --model FILE", doc: "the model file (required)" },
      { flag: "-f, --format FORMAT", doc: "onnx or tfjs (required)" },
      {
        flag: "-o, --out PATH",
        doc: "onnx: the .onnx file; tfjs: a folder that receives model.json and weights.bin (required)",
      },
    ],
    common: NO_KERNELS_COMMON,
    sections: [
      [
        "Output",
        `  Homeostat · export · MODEL (784 → dense 256 relu → …) → the files written, and a note when the
  model was trained on normalised inputs.`,
      ],
      [
        "--json output",
        `  {"command": "export", "format", "model", "written": [paths], "inputNormalization": "scale01" |
   "standardize" | null}`,
      ],
    ],
    exit: "0 written; 2 bad usage, an unreadable model file, or a layer the format cannot express",
    examples: [
      "homeostat export -m runs/mnist/model.hmst -f onnx -o mnist.onnx",
      "homeostat export -m runs/mnist/model.hmst -f tfjs -o mnist-tfjs/",
    ],
  },

  import: {
    usage: ["import --format onnx|tfjs --in PATH --out FILE [--json | --quiet]"],
    about:
      "Reads an ONNX file or a TensorFlow.js layers model as a Homeostat model file. ONNX: a chain of Gemm or MatMul(+Add), Relu, Sigmoid, Tanh, LeakyRelu (α 0.01), Elu (α 1), Selu, Softplus, Softmax, Gelu, LayerNormalization, Identity, Dropout and Constant nodes, float32 weights. The model file holds no loss, normaliser or class names: eval takes the loss its output layer implies.",
    flags: [
      { flag: "-f, --format FORMAT", doc: "onnx or tfjs (required)" },
      {
        flag: "--in PATH",
        doc: "the .onnx file, or the folder holding model.json and its weight files (required)",
      },
      { flag: "-o, --out FILE", doc: "the Homeostat model file to write (required)" },
    ],
    common: NO_KERNELS_COMMON,
    sections: [
      ["Output", "  Homeostat · import · PATH → FILE (784 → dense 256 relu → …, N parameters)"],
      [
        "--json output",
        `  {"command": "import", "format", "input", "model" (the file written), "parameters"}`,
      ],
    ],
    exit: "0 written; 2 bad usage, or an input that cannot be read or mapped (the message names the node and its op)",
    examples: ["homeostat import -f onnx --in mnist.onnx -o mnist.hmst"],
  },

  bench: {
    usage: ["bench [--quick] [--only train|gemm] [--out FILE.json]"],
    about:
      "Measures training throughput (784-256-256-10 MLP, SGD, batches of 1, 64 and 256) and float32 matrix products (64×256×784, 256³, 1024³) of Homeostat's js backend and wasm backend (1 and 2 threads) against TensorFlow.js (cpu and wasm; a dev dependency, so only in a clone after npm install) and PyTorch (when python3 has torch), in interleaved rounds. Takes about five minutes (a minute with --quick). It parses its own flags: --json, --quiet, --seed, --backend and --threads are not taken.",
    flags: [
      { flag: "--quick", doc: "fewer, shorter rounds: about a minute instead of about five" },
      { flag: "--only WORKLOAD", doc: "run one workload: train or gemm (default both)" },
      { flag: "--out FILE", doc: "where to write the results as JSON (default bench-results.json)" },
      { flag: "-h, --help", doc: HELP },
    ],
    sections: [
      [
        "Output",
        `  A line per workload as it runs, a table (rate: median of rounds; spread: half the interquartile
  range), then each Homeostat contestant ÷ each peer's fastest (above 1: Homeostat is faster).`,
      ],
      [
        "JSON file (--out)",
        `  {"date", "mode": "quick" | "full", "seconds", "machine": {"cpuModel", "cpuCount", "node",
   "platform", "memoryGiB", "loadAverage"}, "tfjs", "torch", "wasm" (versions, or why skipped),
   "results": [{"workload", "contestant", "unit", "median", "spread", "rounds", "repsPerRound",
   "reference", "peer", "ratio"}], "ratios": {workload: {contestant: {peer: ratio}}}}`,
      ],
    ],
    exit: "0 measured; 2 bad usage",
    examples: ["homeostat bench --quick", "homeostat bench --only gemm --out gemm.json"],
  },
} satisfies Record<string, HelpPage>;
