/** The pages of the commands that train: demo, train and continual. */
import { type HelpPage, CSV_RULES, HELP, JSON_FLAG, KERNELS, QUIET } from "./help-common.js";

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

export const demoPage = {
  usage: ["demo seed [common flags]", "demo [mnist|cnn] [--epochs N] [--out FILE] [common flags]"],
  about:
    "Three demonstrations on bundled data. `demo seed`: the linear regression of the article Homeostat grew out of (X = [[1,2],[2,3],[3,4],[4,5]], y = X·[1,2] + 3), trained by plain gradient descent; why its individual weights cannot be identified (the features are collinear), and why the article's sigmoid output cannot fit targets of 8 to 17. `demo mnist` (the default; what `npm start` runs): trains a 784 → dense 256 relu → dropout 0.2 → dense 10 softmax network on the bundled MNIST digits (8,000 train / 2,000 test; Adam 0.002, cosine schedule, random shifts of up to 2 pixels, batches of 64) and saves it: the run of examples/mnist.json. `demo cnn`: the same digits read as 28×28×1 images by a small CNN (conv 5×5×16 relu → max pool 2 → conv 3×3×32 relu → max pool 2 → conv 3×3×64 relu → dense 128 relu → dense 10 softmax; Adam 0.003, cosine schedule, each digit turned up to 15°, zoomed up to 15% and shifted up to 1 pixel, batches of 32, 14 epochs): the run of examples/cnn.json.",
  flags: [
    {
      flag: "--epochs N",
      doc: "demo mnist, cnn: epochs to train, an integer ≥ 1 (default 20; cnn 14); the cosine schedule is stretched to N epochs of steps (N × 125 for mnist, N × 250 for cnn)",
    },
    {
      flag: "--out FILE",
      doc: "demo mnist, cnn: where to save the model (default runs/mnist/model.hmst or runs/cnn/model.hmst, relative to the working directory); the run record goes beside it",
    },
  ],
  common: {
    json: JSON_FLAG,
    quiet: QUIET,
    seed: "demo seed: seed of the initial weights (default 0); demo mnist, cnn: the run's seed (default 1)",
    backend: `demo mnist, cnn: ${KERNELS.backend}; demo seed ignores it: it runs on the library's default (wasm, one thread)`,
    threads: `demo mnist, cnn: ${KERNELS.threads}`,
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
} satisfies HelpPage;

export const trainPage = {
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
  earlyStopping, augment, checkpoint, health, homeostasis, vitals, out, report, backend, threads,
  plugins (modules exporting register(registries), imported first, that add your own kinds to those
  below). "vitals": the closed loop's budgets in plain terms, e.g. {"forgettingBudget": 0.05,
  "deadUnits": 0.02}: the vitals regulator added after the homeostasis list, with those options.
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
} satisfies HelpPage;

export const continualPage = {
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
    homeostasis: regulators, as in train [none]; vitals: budgets, as in train [none]
    online [false], probeRows [500]
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
} satisfies HelpPage;
