/**
 * The cases of issue 14, numbered as the issue numbers its points, for scripts/cli-cases.mjs. A case
 * names the fixtures it copies (`uses`), the files it writes (`files`), the command line (`args`) and,
 * where the first line of output is not the evidence, which lines to show (`show`) or how to summarise
 * the run (`message`). `static` cases check the checkout instead of running the CLI. The predict cases
 * (points 1–3) are in scripts/cli-cases-predict.mjs.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MODEL, predictCases } from "./cli-cases-predict.mjs";

/** The README and docs/*.md of the checkout, as one text. */
function docsText(root) {
  const docs = join(root, "docs");
  const pages = existsSync(docs)
    ? readdirSync(docs)
        .filter((f) => f.endsWith(".md"))
        .map((f) => join(docs, f))
    : [];
  return [join(root, "README.md"), ...pages]
    .filter(existsSync)
    .map((f) => readFileSync(f, "utf8"))
    .join("\n");
}

/** Where the `--help` text of a subcommand first differs from the global one. */
function helpDiff(globalHelp) {
  return (r) => {
    if (r.stdout === globalHelp) return "same as the global --help";
    const a = r.stdout.split("\n"),
      g = globalHelp.split("\n");
    const i = a.findIndex((line, k) => line !== g[k]);
    return `differs from the global text; line ${i + 1}: ${a[i] ?? "(ends)"}`;
  };
}

/** A run record's health series: effective rank and dormant fraction of layer 0, on full and short batches. */
function shortBatchStats(stepsPerEpoch) {
  return (r, { dir }) => {
    const file = join(dir, "short.record.json");
    if (!existsSync(file)) return `no run record (exit ${r.code})`;
    const points = JSON.parse(readFileSync(file, "utf8")).health?.points ?? [];
    // A check at (1-based) step s saw an epoch's last, short batch when s is a multiple of stepsPerEpoch.
    const group = (short) =>
      points.filter((p) => (p.step % stepsPerEpoch === 0) === short).map((p) => p.layers[0]);
    // Not every check measures every statistic (effective rank is costly): absent values are skipped.
    const range = (ls, key) => {
      const v = ls.map((l) => l[key]).filter((x) => typeof x === "number");
      return v.length ? `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}` : "none";
    };
    const [full, short] = [group(false), group(true)];
    return `layer 0 effective rank: full batches ${range(full, "effectiveRank")}, short batches ${range(short, "effectiveRank")}; dormant: full ${range(full, "dormantFraction")}, short ${range(short, "dormantFraction")} (${points.length} checks)`;
  };
}

export function issueCases(ctx) {
  const { irisCsv, irisConfig, regConfig, regRows, globalHelp } = ctx;
  const irisLines = irisCsv.trim().split("\n");
  const withoutVirginica = `${irisLines.filter((l) => !l.endsWith("virginica")).join("\n")}\n`;
  const healthy = healthyData();
  return [
    ...predictCases(ctx),
    // 4. eval matches classes by sorted order in the eval file.
    {
      id: "4.1",
      input: "eval: iris rows without virginica (2 of the 3 classes)",
      uses: MODEL,
      files: { "two.csv": withoutVirginica },
      args: ["eval", "--model", "iris.hmst", "--data", "two.csv"],
      show: [/accuracy|homeostat:/],
    },
    {
      id: "4.2",
      input: 'eval: virginica relabelled "rosa" (a label the model does not know)',
      uses: MODEL,
      files: { "rosa.csv": irisCsv.replace(/virginica/g, "rosa") },
      args: ["eval", "--model", "iris.hmst", "--data", "rosa.csv"],
      show: [/accuracy|homeostat:/],
    },
    // 5. integer regression targets taken for classes.
    {
      id: "5.1",
      input: "train: regression (1 linear unit, mse) on integer targets 0–13",
      files: {
        "int.csv": intTargets(),
        "int.json": regConfig({ data: { format: "csv", path: "int.csv", target: "y" }, out: "int.hmst" }),
      },
      args: ["train", "--config", "int.json"],
    },
    // 6. infinite targets and features.
    {
      id: "6.1",
      input: "train: regression, one target is inf",
      files: {
        "inf-y.csv": `x1,x2,y\n${regRows.slice(0, 40).join("\n")}\n0.1,0.2,inf\n`,
        "inf-y.json": regConfig({
          data: { format: "csv", path: "inf-y.csv", target: "y" },
          out: "inf-y.hmst",
        }),
      },
      args: ["train", "--config", "inf-y.json"],
      show: [/explodingGradients|^homeostat:/, /model saved to/, /not saved/],
    },
    {
      id: "6.2",
      input: "train: regression, one feature is inf",
      files: {
        "inf-x.csv": `x1,x2,y\n${regRows.slice(0, 40).join("\n")}\ninf,0.2,0.3\n`,
        "inf-x.json": regConfig({
          data: { format: "csv", path: "inf-x.csv", target: "y" },
          out: "inf-x.hmst",
        }),
      },
      args: ["train", "--config", "inf-x.json"],
      show: [/^homeostat:/, /model saved to/, /not saved/],
    },
    // 7. --help, --version, documented formats.
    ...["train", "eval", "predict", "continual", "report", "export", "import", "demo", "bench"].map(
      (cmd) => ({
        id: `7.${cmd}`,
        input: `${cmd} --help`,
        args: [cmd, "--help"],
        message: helpDiff(globalHelp),
      }),
    ),
    { id: "7.version", input: "--version", args: ["--version"] },
    {
      id: "7.docs-predict",
      input: "README/docs describe predict's --json output",
      static: ({ root }) =>
        /"predictions"/.test(docsText(root)) ? 'mentions "predictions"' : 'no mention of "predictions"',
    },
    {
      id: "7.docs-eval",
      input: "README/docs describe eval's --json output",
      static: ({ root }) =>
        /"command"\s*:\s*"eval"/.test(docsText(root))
          ? 'shows {"command":"eval",…}'
          : 'no {"command":"eval",…} shown',
    },
    {
      id: "7.docs-continual",
      input: "README/docs describe the continual config format",
      static: ({ root }) =>
        /"continual"\s*:\s*\{/.test(docsText(root))
          ? 'shows a "continual": { … } section'
          : 'no "continual": { … } section shown',
    },
    // 8. piped logs; health statistics on short batches.
    {
      id: "8.1",
      input: "train piped, validationSplit 0.25: the epoch line",
      uses: ["iris.csv"],
      files: {
        "val.json": irisConfig({
          epochs: 2,
          out: "val.hmst",
          data: { ...irisConfig().data, validationSplit: 0.25 },
        }),
      },
      args: ["train", "--config", "val.json"],
      show: [/^epoch 1\//],
    },
    {
      id: "8.2",
      input:
        "train relu 32, 36 rows in batches of 16 (16, 16, 4), 300 epochs: health series on full vs short batches",
      uses: ["iris.csv"],
      files: {
        "short.json": irisConfig({
          epochs: 300,
          batchSize: 16,
          out: "short.hmst",
          model: {
            layers: [
              { type: "dense", units: 32, activation: "relu" },
              { type: "dense", units: 3, activation: "softmax" },
            ],
          },
        }),
      },
      args: ["train", "--config", "short.json"],
      message: shortBatchStats(3),
    },
    // 9. smaller items.
    {
      id: "9.1",
      input: "report --out an existing folder",
      uses: ["iris.record.json"],
      files: { "out/.keep": "" },
      args: ["report", "iris.record.json", "--out", "out"],
    },
    {
      id: "9.2",
      input: "eval --data nothere.csv (missing) --config run.json",
      uses: [...MODEL, "iris.csv", "iris.json"],
      args: ["eval", "--model", "iris.hmst", "--data", "nothere.csv", "--config", "iris.json"],
      show: [/eval|homeostat:/],
    },
    {
      id: "9.3",
      input: "train with epochs: 0",
      uses: ["iris.csv"],
      files: { "zero.json": irisConfig({ epochs: 0, out: "zero.hmst" }) },
      args: ["train", "--config", "zero.json"],
      show: [/homeostat:|test accuracy/, /model saved|not saved/],
    },
    {
      id: "9.4",
      input: "continual --config sub/cl.json (no out): where its record goes",
      files: { "sub/cl.json": JSON.parse(readFileSync(join(ctx.fixtures, "cl.json"), "utf8")) },
      args: ["continual", "--config", "sub/cl.json"],
      show: [/run record|homeostat:/],
    },
    {
      id: "9.5",
      input: "continual run record: per-step loss entries",
      files: { "cl.json": JSON.parse(readFileSync(join(ctx.fixtures, "cl.json"), "utf8")) },
      args: ["continual", "--config", "cl.json"],
      message: (r, { dir }) => {
        const f = [join(dir, "runs", "cl", "continual.record.json"), join(dir, "continual.record.json")].find(
          (p) => existsSync(p),
        );
        return f
          ? `steps.loss has ${JSON.parse(readFileSync(f, "utf8")).steps?.loss?.length ?? 0} entries`
          : `no record (exit ${r.code})`;
      },
    },
    {
      id: "9.6",
      input: "report RECORD without --out: where the page goes",
      uses: ["iris.record.json"],
      files: { "sub/.keep": "" },
      args: ["report", "iris.record.json"],
      show: [/report written|homeostat:/],
    },
    {
      id: "9.7",
      input: "README: report examples' --out paths",
      static: ({ root }) =>
        [...readFileSync(join(root, "README.md"), "utf8").matchAll(/homeostat report [^\n]*--out (\S+)/g)]
          .map((m) => m[1])
          .join(", ") || "none",
    },
    {
      id: "9.8",
      input: "README links ../shared/DESIGN.md",
      static: ({ root }) =>
        readFileSync(join(root, "README.md"), "utf8").includes("../shared/DESIGN.md")
          ? `yes (exists from a clone: ${existsSync(resolve(root, "../shared/DESIGN.md")) ? "only beside this checkout" : "no"})`
          : "no",
    },
    {
      id: "9.9",
      input: "README says how to install the CLI (npm install -g / npm link)",
      static: ({ root }) =>
        /npm (install -g|i -g|link)/.test(readFileSync(join(root, "README.md"), "utf8")) ? "yes" : "no",
    },
    // 10. unscaledInputs on healthy data.
    {
      id: "10.1",
      input: `train: 3 features, sd ${healthy.sds}, one value ${healthy.max} (not normalised)`,
      files: {
        "healthy.csv": healthy.csv,
        "healthy-test.csv": healthy.test,
        "healthy.json": irisConfig({
          data: { format: "csv", path: "healthy.csv", test: "healthy-test.csv", target: "label" },
          model: {
            layers: [
              { type: "dense", units: 16, activation: "tanh" },
              { type: "dense", units: 2, activation: "softmax" },
            ],
          },
          out: "healthy.hmst",
        }),
      },
      args: ["train", "--config", "healthy.json"],
      show: [/unscaledInputs/, /test accuracy|^homeostat:/],
    },
    // Added: other malformed inputs to train.
    {
      id: "11.1 (added)",
      input: 'train: a line holding only "" in the training CSV',
      files: {
        "iris.csv": `${irisLines.slice(0, 10).join("\n")}\n""\n${irisLines.slice(10).join("\n")}\n`,
        "run.json": irisConfig({ epochs: 2 }),
      },
      args: ["train", "--config", "run.json"],
    },
    { id: "11.2 (added)", input: "train --config missing.json", args: ["train", "--config", "missing.json"] },
    {
      id: "11.3 (added)",
      input: "train --config a folder",
      files: { "cfg/.keep": "" },
      args: ["train", "--config", "cfg"],
    },
    {
      id: "11.4 (added)",
      input: "train: a NaN feature cell in the training CSV",
      files: {
        "iris.csv": irisCsv.replace("5.1,3.5,1.4,0.2", "5.1,NaN,1.4,0.2"),
        "run.json": irisConfig({ epochs: 2 }),
      },
      args: ["train", "--config", "run.json"],
      show: [/homeostat:|health|test accuracy/],
    },
    {
      id: "11.5 (added)",
      input: "train: an empty feature cell in the training CSV",
      files: {
        "iris.csv": irisCsv.replace("5.1,3.5,1.4,0.2", "5.1,,1.4,0.2"),
        "run.json": irisConfig({ epochs: 2 }),
      },
      args: ["train", "--config", "run.json"],
    },
  ];
}

/** x1,x2,y with y an integer from 0 to 13: a regression target that "auto" takes for 14 classes. */
function intTargets() {
  const rows = [];
  for (let i = 0; i < 56; i++) rows.push(`${(i % 14) / 7 - 1},${((i * 3) % 8) / 4 - 1},${i % 14}`);
  return `x1,x2,y\n${rows.join("\n")}\n`;
}

/**
 * 250 rows (200 to train, 50 to test) of three features with standard deviations about 2, 3.5 and 5, all within |x| < 10 except
 * one value of 10.4; the label is the sign of their sum. Deterministic (a fixed linear congruential
 * generator), so every run of the table sees the same file.
 */
function healthyData() {
  let s = 12345;
  const uniform = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const normal = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
  const sds = [2, 3.5, 5];
  const rows = [];
  for (let i = 0; i < 250; i++) {
    const x = sds.map((sd) => Math.max(-9.9, Math.min(9.9, sd * normal())));
    if (i === 17) x[2] = 10.4;
    rows.push(`${x.map((v) => v.toFixed(3)).join(",")},${x[0] + x[1] + x[2] > 0 ? "pos" : "neg"}`);
  }
  // The test rows come in a file of their own, so that the one large value is certainly in training.
  const csv = (part) => `a,b,c,label\n${part.join("\n")}\n`;
  return { csv: csv(rows.slice(0, 200)), test: csv(rows.slice(200)), sds: sds.join("/"), max: 10.4 };
}
