#!/usr/bin/env node
/**
 * The before/after table of issue 14: every case the issue reports (and a few it implies), plus every
 * file argument of every subcommand × missing, folder, empty, unreadable. Each case runs the CLI in a
 * fresh temporary folder holding only its inputs; the table says what the input was, the exit code,
 * the first line of the message, whether a crash showed (stack trace, "internal error") and which files
 * the run wrote. Run it on the code before and after a fix and compare the two tables.
 *
 *   node scripts/cli-cases.mjs --bin dist/src/cli/bin.js [--out cases.md] [--keep]
 */
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FILE_ARGS, meaning, prepareFileCase, VARIANTS } from "./cli-file-matrix.mjs";
import {
  crashSigns,
  freshDir,
  IRIS_CSV,
  irisConfig,
  makeFixtures,
  removeDir,
  runCli,
  snapshot,
  written,
} from "./cli-harness.mjs";
import { issueCases } from "./cli-cases-list.mjs";

const { values } = parseArgs({
  options: { bin: { type: "string" }, out: { type: "string" }, keep: { type: "boolean" } },
});
if (!values.bin) {
  process.stderr.write(
    "usage: node scripts/cli-cases.mjs --bin PATH/TO/dist/src/cli/bin.js [--out FILE.md] [--keep]\n",
  );
  process.exit(2);
}
const bin = resolve(values.bin);
/** The checkout the build belongs to (bin is ROOT/dist/src/cli/bin.js), for the README checks. */
const root = resolve(dirname(bin), "../../..");

const fixtures = freshDir("cases-fixtures");
const dirs = [fixtures];
process.stderr.write(`training the shared models in ${fixtures} …\n`);
makeFixtures(bin, fixtures);
// A regression model: y = 2·x1 − x2 + 0.5 on a grid, so the targets are not integers.
const regRows = [];
for (let i = 0; i < 60; i++) {
  const x1 = ((i * 7) % 13) / 6 - 1,
    x2 = ((i * 5) % 11) / 5 - 1;
  regRows.push(`${x1.toFixed(3)},${x2.toFixed(3)},${(2 * x1 - x2 + 0.5).toFixed(4)}`);
}
writeFileSync(join(fixtures, "reg.csv"), `x1,x2,y\n${regRows.join("\n")}\n`);
writeFileSync(join(fixtures, "reg.json"), JSON.stringify(regConfig()));
const reg = runCli(bin, ["train", "--config", "reg.json", "--quiet"], { cwd: fixtures });
if (reg.code !== 0) throw new Error(`training the regression fixture failed:\n${reg.stderr}`);
const globalHelp = runCli(bin, ["--help"], { cwd: fixtures }).stdout;

/** The run config of the regression fixture (and of the regression cases, with other data). */
function regConfig(over = {}) {
  return {
    seed: 0,
    data: { format: "csv", path: "reg.csv", target: "y", normalize: "standardize" },
    model: {
      layers: [
        { type: "dense", units: 8, activation: "tanh" },
        { type: "dense", units: 1 },
      ],
    },
    loss: "mse",
    optimizer: { type: "adam", lr: 0.01 },
    epochs: 30,
    batchSize: 8,
    out: "reg.hmst",
    ...over,
  };
}

const ctx = { bin, root, fixtures, globalHelp, regRows, irisCsv: IRIS_CSV, irisConfig, regConfig };
const cases = [...issueCases(ctx), ...matrixCases()];

/** The file-argument matrix as table rows (test/cli-files.test.ts asserts the same cases). */
function matrixCases() {
  return FILE_ARGS.flatMap((fa) =>
    VARIANTS.map((variant) => {
      const { words, exitCode } = meaning(fa, variant);
      return {
        id: `M ${fa.arg} · ${variant}`,
        input: `${fa.arg} ${words} (should exit ${exitCode})`,
        prepare: (dir) => prepareFileCase(fixtures, dir, fa, variant),
      };
    }),
  );
}

const rows = [];
for (const c of cases) {
  process.stderr.write(`${c.id}\n`);
  if (c.static) {
    rows.push({ c, args: null, code: "—", message: c.static(ctx), crash: "—", wrote: "—" });
    continue;
  }
  const dir = freshDir("case");
  dirs.push(dir);
  for (const f of c.uses ?? []) cpSync(join(fixtures, f), join(dir, f), { recursive: true });
  for (const [name, content] of Object.entries(c.files ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
  }
  const prepared = c.prepare ? c.prepare(dir) : { args: c.args, asNobody: false };
  const before = snapshot(dir);
  const r = runCli(bin, prepared.args, { cwd: dir, input: c.stdin, asNobody: prepared.asNobody });
  const files = written(before, snapshot(dir));
  const code = r.timedOut ? "timeout" : (r.code ?? `signal ${r.signal}`);
  const message = c.message ? c.message(r, { ...ctx, dir }) : pick(r, c.show);
  rows.push({
    c,
    args: prepared.args,
    code,
    message,
    crash: crashSigns(r.stderr).join(", ") || "no",
    wrote: files.join(", ") || "nothing",
  });
}

/** The line of interest: the first line matching each of `show` (stdout, then stderr), else stderr's first line, else stdout's. */
function pick(r, show) {
  const lines = (text) =>
    text
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  const all = [...lines(r.stdout), ...lines(r.stderr)];
  const width = Math.floor(200 / (show?.length ?? 1));
  const part = (l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l);
  if (show)
    return show.map((re) => part(all.find((l) => re.test(l)) ?? `(no line matching ${re})`)).join(" ⏎ ");
  return lines(r.stderr)[0] ?? lines(r.stdout)[0] ?? "(no output)";
}

const cell = (s, max = 110) => {
  const t = String(s).replace(/\s+/g, " ").trim();
  return (t.length > max ? `${t.slice(0, max - 1)}…` : t).replace(/\|/g, "\\|");
};
const shellWord = (a) => (/^[\w./@=:+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
const command = (row) =>
  row.args
    ? `homeostat ${row.args.map(shellWord).join(" ")}${row.c.stdin !== undefined ? " < stdin" : ""}`
    : "(a check of the checkout)";

const counts = {};
for (const row of rows) counts[row.code] = (counts[row.code] ?? 0) + 1;
const crashes = rows.filter((r) => r.crash !== "no" && r.crash !== "—");
const table = [
  `# homeostat CLI cases (${bin})`,
  "",
  `${rows.length} cases · exit codes: ${Object.entries(counts)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ")} · crashes (stack trace or "internal error"): ${crashes.length}`,
  "",
  "Unreadable inputs are run as user nobody when the script runs as root (permission bits do not stop root).",
  "",
  "| case | input | command | exit | message (first line) | crash | files written |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map(
    (row) =>
      `| ${cell(row.c.id, 60)} | ${cell(row.c.input, 140)} | \`${cell(command(row), 140).replace(/`/g, "'")}\` | ${row.code} | ${cell(row.message, 220)} | ${row.crash} | ${cell(row.wrote, 80)} |`,
  ),
  "",
].join("\n");
if (values.out) writeFileSync(values.out, table);
process.stdout.write(table);
if (!values.keep) dirs.forEach(removeDir);
