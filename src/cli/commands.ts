/**
 * One handler per command: each parses its own flags (the common ones included) and runs the command,
 * returning the exit code. main.ts picks the handler by name and turns errors into messages.
 */
import { resolve } from "node:path";
import { useBackend } from "../backend/index.js";
import { BUNDLED_MNIST_TRAIN } from "../data/mnist.js";
import { loadLatestCheckpoint } from "../io/checkpoint.js";
import { numberFlag, parseFlags, UsageError } from "./args.js";
import { parseRunConfig, type RunConfig } from "./config.js";
import { runContinualCommand, runContinualConfig } from "./continual.js";
import { demoSeed } from "./demo-seed.js";
import { commandHelp, USAGE, version } from "./help.js";
import { runExport, runImport } from "./interchange.js";
import { learnerKernels } from "./learner-kernels.js";
import { runLive } from "./live.js";
import { runLiveServe } from "./live-serve.js";
import { type KernelChoice, runEval, runPredict } from "./model-commands.js";
import { importPlugins, importPluginsOf, loadRunConfigWithPlugins } from "./plugins.js";
import { runReplay } from "./replay.js";
import { runReportCommand } from "./report.js";
import { runTraining } from "./train.js";
import { makeUi } from "./ui.js";

/** The run config of `homeostat demo mnist` (also examples/mnist.json). */
export const MNIST_DEMO_CONFIG = {
  seed: 1,
  data: { builtin: "mnist" },
  model: {
    layers: [
      { type: "dense", units: 256, activation: "relu" },
      { type: "dropout", rate: 0.2 },
      { type: "dense", units: 10, activation: "softmax" },
    ],
  },
  loss: "crossEntropy",
  optimizer: { type: "adam", lr: 0.002 },
  schedule: { type: "cosine", warmupSteps: 0, totalSteps: 2500 },
  augment: { shift: 2 },
  epochs: 20,
  batchSize: 64,
  out: "runs/mnist/model.hmst",
};

/**
 * The run config of `homeostat demo cnn` (also examples/cnn.json): a small CNN on the same digits, the
 * flat rows read as 28×28×1 images by its first layer, each turned up to 15°, zoomed by up to 15% and
 * shifted up to a pixel. A 5×5 first conv and a third conv over the 5×5 maps buy more accuracy per
 * second than wider layers or batch norm did; the turns and zooms, not dropout, regularise the 8,000
 * digits (docs/performance.md, "A small CNN").
 */
export const CNN_DEMO_CONFIG = {
  seed: 1,
  data: { builtin: "mnist" },
  model: {
    layers: [
      { type: "reshape", shape: [28, 28, 1] },
      { type: "conv2d", filters: 16, kernel: 5, activation: "relu" },
      { type: "maxPool2d", pool: 2 },
      { type: "conv2d", filters: 32, kernel: 3, activation: "relu" },
      { type: "maxPool2d", pool: 2 },
      { type: "conv2d", filters: 64, kernel: 3, activation: "relu" },
      { type: "flatten" },
      { type: "dense", units: 128, activation: "relu" },
      { type: "dense", units: 10, activation: "softmax" },
    ],
  },
  loss: "crossEntropy",
  optimizer: { type: "adam", lr: 0.003 },
  schedule: { type: "cosine", warmupSteps: 0, totalSteps: 3500 },
  augment: { rotate: 15, scale: 0.15, shift: 1 },
  epochs: 14,
  batchSize: 32,
  out: "runs/cnn/model.hmst",
};

/** The training demos by name; an epoch is 8,000 digits, in steps of `batchSize`. */
const TRAINING_DEMOS: Record<string, typeof MNIST_DEMO_CONFIG | typeof CNN_DEMO_CONFIG> = {
  mnist: MNIST_DEMO_CONFIG,
  cnn: CNN_DEMO_CONFIG,
};

/**
 * A training demo's config for `--epochs N`: N epochs, the cosine schedule stretched to N epochs of
 * steps (8,000 digits in batches of `batchSize`) and its warm-up cut to fit; unchanged without N.
 *
 * @example
 * withDemoEpochs(MNIST_DEMO_CONFIG, 2).schedule; // {type: "cosine", warmupSteps: 0, totalSteps: 250}
 */
export function withDemoEpochs(
  demo: typeof MNIST_DEMO_CONFIG | typeof CNN_DEMO_CONFIG,
  epochs: number | undefined,
): Record<string, unknown> {
  if (epochs === undefined) return { ...demo };
  const totalSteps = epochs * Math.ceil(BUNDLED_MNIST_TRAIN / demo.batchSize);
  const warmupSteps = Math.min(demo.schedule.warmupSteps, totalSteps);
  return { ...demo, epochs, schedule: { ...demo.schedule, warmupSteps, totalSteps } };
}

/** The flags every command but bench takes (help-common.ts documents them). */
const common = {
  json: { type: "boolean" },
  quiet: { type: "boolean" },
  seed: { type: "string" },
  backend: { type: "string" },
  threads: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** --backend and --threads, checked (absent where not given). */
function kernelFlags(values: { backend?: string; threads?: string }): KernelChoice {
  if (values.backend !== undefined && !["auto", "js", "wasm"].includes(values.backend)) {
    throw new UsageError(`--backend: expected auto, js or wasm, got "${values.backend}"`);
  }
  return {
    backend: values.backend,
    threads: numberFlag(values.threads, "threads", { integer: true, min: 1 }),
  };
}

/**
 * The kernels of continual, which runs js unless told otherwise (its documented default, where the
 * library's own is wasm in Node): --backend and --threads where given.
 */
function useKernelsOrJs(values: { backend?: string; threads?: string }): void {
  const kernels = kernelFlags(values);
  if (kernels.backend !== undefined || kernels.threads !== undefined)
    useBackend(kernels.backend ?? "auto", { threads: kernels.threads });
  else useBackend("js");
}

/** Apply --backend and --threads over what the run config says. */
function backendFlags(cfg: RunConfig, values: { backend?: string; threads?: string }): void {
  const flags = kernelFlags(values);
  cfg.backend = flags.backend ?? cfg.backend;
  cfg.threads = flags.threads ?? cfg.threads;
}

/** A command: its arguments after the command name in, its exit code out. */
export type CommandHandler = (rest: string[]) => number | Promise<number>;

/** Print a help page or the version: exit code 0. */
export function say(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

function demo(rest: string[]): number {
  const { values, positionals } = parseFlags(
    rest,
    { ...common, epochs: { type: "string" }, out: { type: "string" } },
    1,
  );
  const ui = makeUi(values);
  const which = positionals[0] ?? "mnist";
  const seed = numberFlag(values.seed, "seed", { integer: true, min: 0 });
  if (which === "seed") {
    demoSeed(ui, seed ?? 0);
    return 0;
  }
  // Own keys only: "constructor" or "toString" would find Object's own.
  const demoConfig = Object.hasOwn(TRAINING_DEMOS, which) ? TRAINING_DEMOS[which] : undefined;
  if (!demoConfig) throw new UsageError(`unknown demo "${which}"; expected "seed", "mnist" or "cnn"`);
  const epochs = numberFlag(values.epochs, "epochs", { integer: true, min: 1 });
  const raw: Record<string, unknown> = withDemoEpochs(demoConfig, epochs);
  if (seed !== undefined) raw.seed = seed;
  const cfg = parseRunConfig(raw, process.cwd(), resolve("runs", which));
  if (values.out) cfg.out = resolve(values.out);
  backendFlags(cfg, values);
  return runTraining(cfg, ui, `demo ${which}`).failed ? 1 : 0;
}

async function train(rest: string[]): Promise<number> {
  const { values } = parseFlags(rest, {
    ...common,
    config: { type: "string", short: "c" },
    out: { type: "string" },
    resume: { type: "string" },
  });
  const ui = makeUi(values);
  if (values.resume) {
    if (values.config)
      throw new UsageError("--resume takes the run config from the checkpoint; leave out --config");
    const ck = loadCheckpoint(values.resume);
    if (ck.kind !== "train")
      throw new UsageError(
        `${values.resume} holds checkpoints of a continual run; resume it with homeostat continual --resume ${values.resume}`,
      );
    await importPlugins(ck.config, ck.configDir);
    const cfg = parseRunConfig(ck.config, ck.configDir, ck.runDir);
    if (values.out) cfg.out = resolve(values.out);
    backendFlags(cfg, values);
    return runTraining(cfg, ui, "train", ck).failed ? 1 : 0;
  }
  if (!values.config) throw new UsageError("train needs --config run.json (or --resume CHECKPOINT_DIR)");
  const cfg = await loadRunConfigWithPlugins(values.config);
  const seed = numberFlag(values.seed, "seed", { integer: true, min: 0 });
  if (seed !== undefined) cfg.seed = seed;
  if (values.out) cfg.out = resolve(values.out);
  backendFlags(cfg, values);
  return runTraining(cfg, ui).failed ? 1 : 0;
}

/** The latest checkpoint in `dir`, warning on standard error about any it had to skip. */
function loadCheckpoint(dir: string): ReturnType<typeof loadLatestCheckpoint> {
  return loadLatestCheckpoint(dir, (m) => process.stderr.write(`homeostat: warning: ${m}\n`));
}

function evalCommand(rest: string[]): number {
  const { values } = parseFlags(rest, {
    ...common,
    model: { type: "string", short: "m" },
    data: { type: "string" },
    target: { type: "string" },
    images: { type: "string" },
    labels: { type: "string" },
    config: { type: "string", short: "c" },
  });
  if (!values.model) throw new UsageError("eval needs --model FILE");
  runEval(values.model, values, makeUi(values), kernelFlags(values));
  return 0;
}

function predict(rest: string[]): number {
  const { values } = parseFlags(rest, {
    ...common,
    model: { type: "string", short: "m" },
    input: { type: "string", short: "i" },
  });
  if (!values.model) throw new UsageError("predict needs --model FILE");
  if (!values.input)
    throw new UsageError("predict needs --input FILE (CSV or JSON rows; - for standard input)");
  runPredict(values.model, values.input, makeUi(values), kernelFlags(values));
  return 0;
}

async function continual(rest: string[]): Promise<number> {
  const { values } = parseFlags(rest, {
    ...common,
    config: { type: "string", short: "c" },
    resume: { type: "string" },
  });
  // The continual runner trains on the js backend unless --backend or --threads ask otherwise.
  useKernelsOrJs(values);
  const seed = numberFlag(values.seed, "seed", { integer: true, min: 0 });
  if (values.resume) {
    if (values.config)
      throw new UsageError("--resume takes the run config from the checkpoint; leave out --config");
    if (seed !== undefined)
      throw new UsageError("--resume continues with the checkpoint's seed; leave out --seed");
    const ck = loadCheckpoint(values.resume);
    if (ck.kind !== "continual")
      throw new UsageError(
        `${values.resume} holds checkpoints of a training run; resume it with homeostat train --resume ${values.resume}`,
      );
    await importPlugins(ck.config, ck.configDir);
    runContinualConfig(
      ck.config,
      { baseDir: ck.configDir, runDir: ck.runDir, where: "checkpoint" },
      makeUi(values),
      ck,
    );
    return 0;
  }
  if (!values.config)
    throw new UsageError(
      'continual needs --config run.json (with a "continual" section), or --resume CHECKPOINT_DIR',
    );
  await importPluginsOf(values.config);
  runContinualCommand(values.config, makeUi(values), seed);
  return 0;
}

async function live(rest: string[]): Promise<number> {
  const { values } = parseFlags(rest, {
    ...common,
    config: { type: "string", short: "c" },
    input: { type: "string", short: "i" },
    predictions: { type: "string", short: "p" },
    resume: { type: "string" },
    checkpoint: { type: "string" },
    serve: { type: "boolean" },
    port: { type: "string" },
    host: { type: "string" },
    dir: { type: "string" },
    token: { type: "string" },
  });
  const kernels = learnerKernels(kernelFlags(values));
  const seed = numberFlag(values.seed, "seed", { integer: true, min: 0 });
  const { serve, port, host, dir, token, ...stream } = values;
  if (serve) {
    for (const f of ["input", "predictions", "checkpoint"] as const)
      if (values[f] !== undefined) throw new UsageError(`--${f} reads or writes a stream; not with --serve`);
    const portNumber = numberFlag(port, "port", { integer: true, min: 0 });
    await runLiveServe({ ...stream, dir, host, token, port: portNumber, seed, kernels }, makeUi(values));
    return 0;
  }
  const served = Object.entries({ port, host, dir, token }).find(([, v]) => v !== undefined);
  if (served) throw new UsageError(`--${served[0]} is for --serve`);
  await runLive({ ...stream, seed, kernels }, makeUi(values));
  return 0;
}

async function replay(rest: string[]): Promise<number> {
  const { values } = parseFlags(rest, {
    ...common,
    dir: { type: "string", short: "d" },
    from: { type: "string" },
    to: { type: "string" },
    trace: { type: "boolean" },
    out: { type: "string", short: "o" },
  });
  if (values.seed !== undefined)
    throw new UsageError("replay rebuilds the learner with its own seed; leave out --seed");
  const kernels = learnerKernels(kernelFlags(values));
  await runReplay(
    {
      dir: values.dir,
      kernels,
      from: numberFlag(values.from, "from", { integer: true, min: 0 }),
      to: numberFlag(values.to, "to", { integer: true, min: 0 }),
      trace: values.trace,
      out: values.out,
    },
    makeUi(values),
  );
  return 0;
}

function report(rest: string[]): number {
  const { values, positionals } = parseFlags(rest, { ...common, out: { type: "string", short: "o" } }, 2);
  runReportCommand(positionals, values.out, makeUi(values));
  return 0;
}

function exportCommand(rest: string[]): number {
  const { values } = parseFlags(rest, {
    ...common,
    model: { type: "string", short: "m" },
    format: { type: "string", short: "f" },
    out: { type: "string", short: "o" },
  });
  if (!values.model) throw new UsageError("export needs --model FILE");
  runExport(values.model, values.format, values.out, makeUi(values));
  return 0;
}

function importCommand(rest: string[]): number {
  const { values } = parseFlags(rest, {
    ...common,
    in: { type: "string" },
    format: { type: "string", short: "f" },
    out: { type: "string", short: "o" },
    arch: { type: "string" },
    optimizer: { type: "string" },
  });
  runImport(values, makeUi(values));
  return 0;
}

async function bench(rest: string[]): Promise<number> {
  // The benchmark lives beside the package's sources (dist/bench) and parses its own flags.
  const { runBench } = await import("../../bench/bench.js");
  return await runBench(rest);
}

function help(rest: string[]): number {
  if (rest.length > 1) throw new UsageError(`help takes one command, got "${rest.join(" ")}"`);
  return say(rest.length === 0 ? USAGE : commandHelp(rest[0]));
}

const showVersion: CommandHandler = () => say(`homeostat ${version()}`);

/** Every command and alias by the name typed after `homeostat`. */
export const HANDLERS: Record<string, CommandHandler> = {
  "--help": () => say(USAGE),
  "-h": () => say(USAGE),
  help,
  version: showVersion,
  "--version": showVersion,
  "-V": showVersion,
  demo,
  train,
  eval: evalCommand,
  predict,
  continual,
  live,
  replay,
  report,
  export: exportCommand,
  import: importCommand,
  bench,
};
