/** The page of `homeostat live`: a lifelong learner on a stream of rows. */
import { type HelpPage, HELP, JSON_FLAG, KERNELS } from "./help-common.js";

export const livePage = {
  usage: [
    "live --config live.json [--input FILE|-] [--predictions FILE|-] [--checkpoint DIR] [--json | --quiet]",
    "live --resume DIR [--config live.json] [--input FILE|-] [--predictions FILE|-] [--checkpoint DIR]",
    "live --config live.json --serve [--port 8470] [--host 127.0.0.1] [--dir DIR] [--token TOKEN]",
    "live --resume DIR --serve [--port 8470] [--host 127.0.0.1] [--token TOKEN]",
  ],
  about:
    "Runs a lifelong learner on rows as they arrive (a file, or a pipe that never ends): each labelled row is predicted, then learnt (test-then-train, scored prequentially); a row without a label is only predicted; a row that cannot be used is answered with an error naming its line and changes nothing. One JSON line per input row, in input order, written as each row is answered. Checkpoints the learner every checkpoint.every rows and at the end; --resume continues bit-identically. Writes a run record (live.record.json) that homeostat report draws. A new learner runs on wasm (one thread) where WebAssembly SIMD loads, else js; a resumed one on the kernels its file names, so that it continues bit for bit (js for a file that names none); --backend or --threads choose others.",
  flags: [
    {
      flag: "-c, --config FILE",
      doc: 'the live config: the learner\'s keys ({"task": "classification"} alone is valid) and the command\'s (below); required unless --resume',
    },
    {
      flag: "-i, --input FILE",
      doc: 'the rows: CSV or JSON Lines; - for standard input (default: the config\'s "input", else -)',
    },
    {
      flag: "-p, --predictions FILE",
      doc: 'where the answer lines go; - for standard output (default: the config\'s "predictions", else -)',
    },
    {
      flag: "--checkpoint DIR",
      doc: "where the learner (learner.hmst) and its run record are saved (default: with --resume, DIR; else the config's checkpoint.dir)",
    },
    {
      flag: "--resume DIR",
      doc: "continue the learner saved in DIR with the rows that follow; a --config must describe the same learner (else exit 2); with --serve, the service's folder: its newest good checkpoint and its log",
    },
    {
      flag: "--serve",
      doc: "serve the learner over HTTP instead of reading a stream: POST /observe, POST /predict, GET /vitals, GET /metrics, POST /checkpoint (docs/serve.md); each observation is in the write-ahead log before it is answered",
    },
    { flag: "--port N", doc: "with --serve: the port (default 8470; 0 picks a free one)" },
    { flag: "--host HOST", doc: "with --serve: the address to bind (default 127.0.0.1, this machine only)" },
    {
      flag: "--dir DIR",
      doc: "with --serve: the folder of the log and checkpoints (default runs/<config name>/serve); one that holds a learner already is refused: --resume it",
    },
    {
      flag: "--token TOKEN",
      doc: "with --serve: POST /observe and /checkpoint need Authorization: Bearer TOKEN (default: $HOMEOSTAT_TOKEN, else none)",
    },
  ],
  common: {
    json: `${JSON_FLAG}, after the prediction lines when they go to standard output too`,
    quiet: "no progress line and no summary line (the prediction lines are still written)",
    seed: "override the learner's seed (not with --resume, which keeps the saved learner's)",
    backend: `${KERNELS.backend} (default: wasm on one thread for a new learner, where it loads; else the kernels the learner's file names)`,
    threads: KERNELS.threads,
    help: HELP,
  },
  sections: [
    [
      "Live config",
      `  The learner's keys (as Learner.create): task "classification" | "regression" (required),
    inputs, inputShape (rows as images, e.g. [28, 28, 1]), hidden [[64, {"type": "layerNorm"}]] (widths or layer configs, e.g.
    {"type": "conv2d", "filters": 8, "kernel": 3, "activation": "relu"}), optimizer [{"type": "adam", "lr": 0.001}], batch [1], seed [0],
    memory [8000], replay [1], window [1000], normalize [true], normalizeDecay [0.001],
    normalizeClip [1.5] (± std), normalizeCenter [0.75] (the share of the mean taken off),
    drift "adwin" | "page-hinkley" | "none" [adwin], health [true], probe [64], probeEvery [1000],
    homeostasis [["redo"]] (regulators, as a run config names them), vitals (the vitals loop's budgets,
    e.g. {"forgettingBudget": 0.05, "deadUnits": 0.02}: the loop added after homeostasis) [none],
    consolidate "onlineEwc" | "ewc" | "si" | "mas" | "lwf" | "none" [none], features, labels.
  The command's keys beside them (paths relative to the config's folder):
    input, predictions: paths or "-";  target: the label's column [label, y or target, else the last]
    checkpoint {"dir" [runs/<config name>/checkpoint], "every": rows [only at the end]}
    record {"path" [live.record.json in the checkpoint folder, else in runs/<config name>/],
            "every": labelled rows between samples [100]}
    serve {"every": rows between checkpoints [10000], "keep": checkpoints kept [2],
           "logBytes": the log's bound [1 GiB], "segmentBytes" [64 MiB, at most logBytes/4],
           "commitRows": rows per group commit at most [4096], "maxBodyBytes" [1 MiB],
           "maxQueueRows": waiting rows before 503 [65536], "protectReads": token on reads too [false]}`,
    ],
    [
      "Input",
      `  CSV (a header names the columns; without one the label is the last value) or JSON Lines: rows as
  {"x": [values] or {name: value}, "y": label}, or objects of named values with the label among them.
  An empty label cell, a null or missing "y" asks for a prediction only. CSV labels that read as
  numbers are numbers (1, as JSON's 1). Features are matched by name whenever the input names them.`,
    ],
    [
      "Output",
      `  One line per input row, row = its 1-based data row (the header is not a row):
    {"row": N, "label": L, "probability": p}   classification (the prediction before learning)
    {"row": N, "value": v}                     regression
    {"row": N, "error": "FILE:LINE: why"}      a row refused (wrong width, missing or non-numeric value,
                                               unknown feature, bad label); nothing learnt from it
  On a terminal, a progress line on standard error (rows, rows/s, prequential and recent accuracy,
  drifts, replay fill); at the end one summary line there. Ctrl-C (SIGINT) or SIGTERM ends the
  stream as its end would: the learner and the record are saved, exit code 0.`,
    ],
    [
      "--json output",
      `  {"live": {"steps", "rows", "observed", "predicted", "rejected" (this run's rows), "prequential":
    {"accuracy", "loss"}, "drifts": [{"row", "evidence"}], "vitals" (Learner.vitals()), "resumed",
    "checkpoint", "record", "seconds"}}`,
    ],
  ],
  exit: "0 done (refused rows included); 2 bad usage, config, a target column the input lacks, an unreadable input",
  examples: [
    "homeostat live --config live.json --input stream.csv --predictions predictions.jsonl",
    "tail -f events.jsonl | homeostat live -c live.json --checkpoint runs/live",
    "homeostat live --resume runs/live --input more.csv --json",
    "homeostat live --config live.json --serve --dir runs/service",
    "homeostat live --resume runs/service --serve --port 8470",
  ],
} satisfies HelpPage;

export const replayPage = {
  usage: ["replay --dir DIR --from ROW [--to ROW] [--trace] [--out DIR] [--json | --quiet]"],
  about:
    "The flight recorder: rebuilds the learner of a service's folder (live --serve) after any logged row, bit for bit, from the newest checkpoint at or before --from and the write-ahead log after it. With --trace, prints the statistics of every row after --from as the live learner met it: the loss of the prediction made before learning, the optimiser step the row completed (its training loss, the L2 norm of its gradients before clipping, its learning rate), the drift it set off and the health events found while it was learnt, in plain words. Reads the folder only, so it may run beside the live service. Runs on the kernels the starting checkpoint names (js where it names none), as the service learnt those rows, unless --backend or --threads say otherwise.",
  flags: [
    { flag: "-d, --dir DIR", doc: "the service's folder: checkpoints/ and wal/ (required)" },
    {
      flag: "--from ROW",
      doc: "the window starts after this row (0: the learner's start); a checkpoint at or before it must be kept, with the log after it (serve.keep)",
    },
    { flag: "--to ROW", doc: "the last row learnt (default: the last row in the log)" },
    { flag: "--trace", doc: "print each row's statistics in the window (with --json: in replay.trace)" },
    { flag: "-o, --out DIR", doc: "save the rebuilt learner there (learner.hmst), as a checkpoint is saved" },
  ],
  common: {
    json: JSON_FLAG,
    quiet: "print nothing but errors (and the JSON line with --json)",
    seed: "not taken: the learner is rebuilt with its own seed",
    backend: `${KERNELS.backend} (default: the kernels the starting checkpoint names)`,
    threads: KERNELS.threads,
    help: HELP,
  },
  sections: [
    [
      "Output",
      `  One line per row in the window:
    row N  hit|miss loss L  step S loss L' |g| G lr R
  then, under it, a line per drift and per health event or failure found while it was learnt; at the
  end a summary (rows, drifts, events, the largest gradient norm) and the learner's scores at --to.`,
    ],
    [
      "--json output",
      `  {"replay": {"dir", "checkpoint" (the row it started from), "from", "to", "rows", "steps",
    "refused": [{"seq", "error"}], "out", "vitals" (Learner.vitals() at --to), "trace": null or
    [{"seq", "refused", "hit", "loss", "step", "stepLoss", "gradNorm", "lr", "drift", "events", "failures"}]}}`,
    ],
  ],
  exit: "0 done; 2 bad usage, a folder that is not a service's, a window the checkpoints and log kept cannot reach",
  examples: [
    "homeostat replay --dir runs/service --from 40000 --to 40200 --trace",
    "homeostat replay --dir runs/service --from 0 --to 12345 --out runs/at-12345 --json",
  ],
} satisfies HelpPage;
