/**
 * The continual-learning protocols of issue 4, on the bundled digits (8,000 train / 2,000 test) with the
 * 784-100-100-10 ReLU network, batch 64 and the protocol's optimiser (OPTIMIZERS, or a strategy's own where
 * STRATEGY_OPTIMIZERS gives one; a fresh state per task):
 *
 * - split digits, 5 tasks of two classes, 10 epochs per task, task-, domain- and class-incremental;
 * - permuted digits, 10 tasks, 5 epochs per task, domain-incremental.
 *
 * Every strategy runs on every seed; the table shows mean ± sd over seeds of the final accuracy (ACC),
 * BWT, forgetting (Chaudhry et al. 2018), intransigence (against the joint model of the same seed) and
 * wall time. Hyper-parameters come from TUNED, chosen with `--tune` on a validation split (the last 15% of
 * the training digits), never on the test digits. These settings are in bench/continual-protocols.ts.
 *
 *   node dist/bench/continual-experiments.js                       # everything, seeds 1,2,3
 *   node dist/bench/continual-experiments.js --protocols split-class --seeds 1 --strategies naive,replay
 *   node dist/bench/continual-experiments.js --tune                # the validation grids
 *   node dist/bench/continual-experiments.js --tune --protocols permuted --strategies si --grid c=1,3 \
 *     --optimizer '{"type":"sgd","lr":0.01,"momentum":0.9}' --options '{"xi":0.1}'
 * Options: --trainPerTask N, --epochs N and --tasks N shrink a run (say so when you quote its numbers);
 * --optimizer JSON replaces the protocol's optimiser, --options JSON fixes strategy options for every run,
 * --grid key=v1,v2 replaces the grid `--tune` searches.
 */
import { useBackend } from "../src/backend/index.js";
import {
  type ContinualConfig,
  type StreamRun,
  continualMeasures,
  continualStreams,
  createStrategy,
  parseContinualConfig,
  runStrategy,
  strategies,
} from "../src/continual/index.js";
import {
  EXTRA_ROWS,
  GRIDS,
  OPTIMIZERS,
  PROTOCOLS,
  type Protocol,
  type Row,
  type RowSettings,
  STRATEGY_OPTIMIZERS,
  TUNED,
} from "./continual-protocols.js";

const STRATEGIES = strategies.names();

/** The optimiser `strategy` trains with on protocol `p`: `--optimizer`, else its own, else the protocol's. */
const optimizerFor = (p: Protocol, strategy: string, args: Args): Record<string, unknown> =>
  args.optimizer ?? STRATEGY_OPTIMIZERS[p]?.[strategy] ?? OPTIMIZERS[p];

function protocolConfig(
  p: Protocol,
  seed: number,
  args: Args,
  strategy: string,
  options: Record<string, number>,
  evaluateOn: "test" | "validation",
  settings?: RowSettings,
): ContinualConfig {
  const split = p !== "permuted";
  return parseContinualConfig({
    stream: split ? "split" : "permuted",
    scenario: split ? p.slice("split-".length) : "domain",
    tasks: args.tasks ?? (split ? 5 : 10),
    epochs: settings?.epochs ?? args.epochs ?? (split ? 10 : 5),
    batchSize: settings?.batchSize ?? 64,
    optimizer: settings?.optimizer ?? optimizerFor(p, strategy, args),
    seed,
    strategy: { type: strategy, ...options },
    compareJoint: false,
    taskFree: settings?.taskFree ?? false,
    evaluateOn,
    ...(args.trainPerTask ? { trainPerTask: args.trainPerTask } : {}),
  });
}

interface Args {
  tune: boolean;
  seeds: number[];
  protocols: Protocol[];
  strategies: string[];
  epochs?: number;
  trainPerTask?: number;
  tasks?: number;
  /** Overrides the protocol's optimiser (to tune it). */
  optimizer?: Record<string, unknown>;
  /** Overrides a strategy's grid in `--tune`: `key=v1,v2,…`. */
  grid?: [string, number[]];
  /** Options fixed for every run, merged under TUNED and the grid point: a JSON object. */
  options: Record<string, number>;
}

/** `lambda=1,3,10` → ["lambda", [1, 3, 10]]. */
function parseGrid(text: string | undefined): [string, number[]] | undefined {
  if (text === undefined) return undefined;
  const [key, values] = text.split("=");
  if (!key || !values) throw new Error(`--grid expects key=v1,v2,… (got "${text}")`);
  return [key, values.split(",").map(Number)];
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => (get(name) === undefined ? undefined : Number(get(name)));
  return {
    tune: argv.includes("--tune"),
    seeds: (get("seeds") ?? "1,2,3").split(",").map(Number),
    protocols: (get("protocols")?.split(",") ?? PROTOCOLS) as Protocol[],
    strategies: get("strategies")?.split(",") ?? STRATEGIES,
    epochs: num("epochs"),
    trainPerTask: num("trainPerTask"),
    tasks: num("tasks"),
    optimizer: get("optimizer") === undefined ? undefined : JSON.parse(get("optimizer")!),
    grid: parseGrid(get("grid")),
    options: JSON.parse(get("options") ?? "{}"),
  };
}

const stats = (xs: number[]): { mean: number; sd: number } => {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
};
const pct = (xs: number[]): string => {
  const { mean, sd } = stats(xs.map((v) => 100 * v));
  return `${mean.toFixed(1)} ± ${sd.toFixed(1)}`;
};

function runOne(
  p: Protocol,
  seed: number,
  args: Args,
  strategy: string,
  options: Record<string, number>,
  evaluateOn: "test" | "validation",
  settings?: RowSettings,
): StreamRun {
  const cfg = protocolConfig(p, seed, args, strategy, options, evaluateOn, settings);
  const { train, test } = continualStreams(cfg);
  const run = runStrategy(createStrategy({ type: strategy, options }), train, test, cfg);
  const m = continualMeasures(run.R, run.b);
  process.stderr.write(
    `${p} seed ${seed} ${strategy} ${JSON.stringify(options)}: ACC ${(100 * m.ACC).toFixed(1)}%, forgetting ${(100 * m.forgetting.maxOverEarlier).toFixed(1)} in ${run.wallSeconds.toFixed(0)} s\n`,
  );
  return run;
}

const describeOptimizer = ({ type, ...rest }: Record<string, unknown>): string =>
  [String(type), ...Object.entries(rest).map(([k, v]) => `${k} ${v}`)].join(" ");

function experiments(args: Args): void {
  const started = performance.now();
  for (const p of args.protocols) {
    const runs = new Map<string, StreamRun[]>();
    const rows: Row[] = [
      ...args.strategies.map((s) => ({ label: s, type: s, options: { ...args.options, ...TUNED[p][s] } })),
      ...EXTRA_ROWS[p].filter((r) => args.strategies.includes(r.type)),
    ];
    for (const seed of args.seeds) {
      for (const row of [
        { label: "joint", type: "joint", options: {} },
        ...rows.filter((r) => r.label !== "joint"),
      ]) {
        const list = runs.get(row.label) ?? [];
        list.push(runOne(p, seed, args, row.type, row.options, "test", row.settings));
        runs.set(row.label, list);
      }
    }
    const joints = runs.get("joint")!;
    console.log(
      `\n### ${p === "permuted" ? "Permuted digits, 10 tasks, domain-incremental" : `Split digits, 5 tasks, ${p.slice(6)}-incremental`} (${args.epochs ?? (p === "permuted" ? 5 : 10)} epochs/task${args.trainPerTask ? `, ≤ ${args.trainPerTask} rows/task` : ""}; ${describeOptimizer(args.optimizer ?? OPTIMIZERS[p])}${args.optimizer ? "" : " unless a row says otherwise"}; seeds ${args.seeds.join(", ")})\n`,
    );
    console.log(
      "| strategy | hyper-parameters | ACC % | BWT % | forgetting % (max) | intransigence % | FWT % | wall s |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const row of rows) {
      const s = row.label;
      const list = runs.get(s)!;
      const m = list.map((r, i) => continualMeasures(r.R, r.b, joints[i].R));
      const own = args.optimizer ? undefined : STRATEGY_OPTIMIZERS[p]?.[row.type];
      const hyper =
        [
          ...Object.entries(row.options).map(([k, v]) => `${k} ${v}`),
          ...(own ? [describeOptimizer(own)] : []),
          ...(row.settings
            ? [
                `batch ${row.settings.batchSize}, ${row.settings.epochs} epoch${row.settings.epochs > 1 ? "s" : ""}, ${describeOptimizer(row.settings.optimizer)}${row.settings.taskFree ? ", task-free" : ""}`,
              ]
            : []),
        ].join(", ") || "defaults";
      const wall = stats(list.map((r) => r.wallSeconds));
      console.log(
        `| ${s} | ${hyper} | ${pct(m.map((x) => x.ACC))} | ${pct(m.map((x) => x.BWT))} | ${pct(m.map((x) => x.forgetting.maxOverEarlier))} | ${pct(m.map((x) => x.intransigence!))} | ${pct(m.map((x) => x.FWT))} | ${wall.mean.toFixed(0)} |`,
      );
    }
  }
  console.log(`\n(total ${((performance.now() - started) / 60000).toFixed(1)} min)`);
}

function tune(args: Args): void {
  const validationAcc = (p: Protocol, s: string, options: Record<string, number>): string => {
    const run = runOne(p, args.seeds[0], args, s, options, "validation");
    return (100 * continualMeasures(run.R, run.b).ACC).toFixed(1);
  };
  for (const p of args.protocols) {
    const fixed = (s: string): string =>
      JSON.stringify({ optimizer: optimizerFor(p, s, args), ...args.options });
    // Naive has no grid: it runs once, the reference the grids are read against (and shows the optimiser forgets).
    if (args.strategies.includes("naive"))
      console.log(`${p} naive ${fixed("naive")}: ${validationAcc(p, "naive", args.options)}%`);
    for (const s of args.strategies.filter((x) => x in GRIDS)) {
      const [key, values] = args.grid ?? GRIDS[s];
      const scores = values.map((v) => Number(validationAcc(p, s, { ...args.options, [key]: v })));
      const best = values[scores.indexOf(Math.max(...scores))];
      console.log(
        `${p} ${s} ${fixed(s)}: ${values.map((v, i) => `${key} ${v} → ${scores[i]}%`).join(", ")}; best ${key} ${best}`,
      );
    }
  }
}

// docs/continual.md was measured on js, the reference backend, as the continual CLI runs by default.
useBackend("js");
const args = parseArgs(process.argv.slice(2));
if (args.tune) tune(args);
else experiments(args);
