/** The pages of the commands that use a model file: eval, predict, export and import. */
import { type HelpPage, CSV_RULES, MODEL_COMMON, NO_KERNELS_COMMON } from "./help-common.js";

export const evalPage = {
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
} satisfies HelpPage;

export const predictPage = {
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
} satisfies HelpPage;

export const exportPage = {
  usage: ["export --model FILE --format onnx|tfjs|safetensors --out PATH [--json | --quiet]"],
  about:
    'Writes a model as ONNX (opset 17; input "input" [batch, features] float32, output "output"), as a TensorFlow.js layers model, or as PyTorch weights: NAME.safetensors (the state dict of the equivalent nn.Sequential, float32), NAME.py (builds that network and loads the file with torch alone) and, when the model file holds Adam, AdamW or SGD state, NAME.optimizer.safetensors (optimizer.state_dict() as tensors state.<i>.<key>; NAME.py\'s load_optimizer(model) reads it). PyTorch names: a Dense is nn.Linear followed by its activation as a module of its own, so Linear indices skip the activations (0.weight, 2.weight, ...); weights are [units, in] in both. A softmax or sigmoid output stays a module: model[:-1] gives the logits PyTorch\'s losses want. Dropout is left out of ONNX and TF.js. The input normalisation is part of none of them: feed inputs normalised as in training (the output says which mode).',
  flags: [
    { flag: "-m, --model FILE", doc: "the model file (required)" },
    { flag: "-f, --format FORMAT", doc: "onnx, tfjs or safetensors (required)" },
    {
      flag: "-o, --out PATH",
      doc: "onnx: the .onnx file; tfjs: a folder that receives model.json and weights.bin; safetensors: NAME.safetensors, with NAME.py (and NAME.optimizer.safetensors) beside it (required)",
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
  exit: "0 written; 2 bad usage, an unreadable model file, or a layer the format cannot express (nothing written)",
  examples: [
    "homeostat export -m runs/mnist/model.hmst -f onnx -o mnist.onnx",
    "homeostat export -m runs/mnist/model.hmst -f tfjs -o mnist-tfjs/",
    "homeostat export -m runs/mnist/model.hmst -f safetensors -o torch/mnist.safetensors   # then python3 torch/mnist.py",
  ],
} satisfies HelpPage;

export const importPage = {
  usage: [
    "import --format onnx|tfjs --in PATH --out FILE [--json | --quiet]",
    "import --format safetensors --in FILE.safetensors [--arch ARCH.json] [--optimizer FILE] --out FILE [--json | --quiet]",
  ],
  about:
    'Reads an ONNX file, a TensorFlow.js layers model or a PyTorch nn.Sequential state dict (safetensors) as a Homeostat model file. ONNX: a chain of Gemm or MatMul(+Add), Relu, Sigmoid, Tanh, LeakyRelu (α 0.01), Elu (α 1), Selu, Softplus, Softmax, Gelu, LayerNormalization, Identity, Dropout and Constant nodes, float32 weights; or a conv graph (Conv, BatchNormalization, MaxPool, AveragePool, GlobalAveragePool, Flatten, Reshape, a residual Add, Concat), whose output must be a vector per row: a channels-first (PyTorch) graph becomes a channels-last model, so rows of a multi-channel image are then [height, width, channels]. safetensors: --arch declares the network (a run config, whose model.layers is read, or {"layers": [...], "inputDim": N}); the names must be those of the equivalent nn.Sequential (see export), F32 or F64 (rounded to float32), every tensor present, none extra, every shape as declared; the input width comes from the first weight. Without --arch, the architecture a Homeostat export stored in the file. --optimizer adds Adam, AdamW or SGD state in export\'s layout. The model file holds no loss, normaliser or class names: eval takes the loss its output layer implies.',
  flags: [
    { flag: "-f, --format FORMAT", doc: "onnx, tfjs or safetensors (required)" },
    {
      flag: "--in PATH",
      doc: "the .onnx file, the folder holding model.json and its weight files, or the .safetensors file (required)",
    },
    { flag: "--arch FILE", doc: "safetensors: the architecture, a run config or {layers, inputDim}" },
    {
      flag: "--optimizer FILE",
      doc: "safetensors: optimiser state (NAME.optimizer.safetensors) to keep in the model file",
    },
    { flag: "-o, --out FILE", doc: "the Homeostat model file to write (required)" },
  ],
  common: NO_KERNELS_COMMON,
  sections: [
    ["Output", "  Homeostat · import · PATH → FILE (784 → dense 256 relu → …, N parameters)"],
    [
      "--json output",
      `  {"command": "import", "format", "input", "model" (the file written), "parameters"}; safetensors adds
   "optimizer": "adam" | "adamw" | "sgd" | null`,
    ],
  ],
  exit: "0 written; 2 bad usage, or an input that cannot be read or mapped (the message names the node, op or tensor; nothing written)",
  examples: [
    "homeostat import -f onnx --in mnist.onnx -o mnist.hmst",
    "homeostat import -f safetensors --in mlp.safetensors --arch run.json -o mlp.hmst",
  ],
} satisfies HelpPage;
