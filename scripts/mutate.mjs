// Mutation testing of one source folder against the unit tier, then its score into docs/mutation.md.
//
//   npm run mutate -- continual                  # src/continual, 40-minute budget
//   npm run mutate -- io --budget 20 --concurrency 1
//   npm run mutate -- train --plan-only           # stop once the plan is known; print its cost
//   npm run mutate -- io --files checkpoint,onnx-import   # only these files of src/io
//   npm run mutate -- health --rerun-listed       # only the lines of the mutants docs/mutation.md lists
//
// Stryker mutates the compiled JavaScript in dist/src/<folder> (recompiling TypeScript per mutant
// would cost more than the tests) and runs the unit-tier test files that cover each mutant. Results
// are incremental per folder (reports/mutation/<folder>/incremental.json), so a second run after a
// small change retests only what changed. When the budget runs out Stryker is stopped and the
// mutants it had not reached are reported as such, not counted in the score; Stryker 9 then writes no
// incremental report (Stryker 10 would, but needs Node 22; this project supports Node 20), so one is
// written here from the recorder's record (scripts/mutation-salvage.mjs) and the next run goes on from
// where this one stopped.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { cpus } from "node:os";
import { readSections, writeFolderScore, writeRerunScore } from "./mutation-report.mjs";
import { salvageIncremental } from "./mutation-salvage.mjs";
import { listedRanges, parseListed } from "./mutation-rerun.mjs";

const FOLDERS = ["continual", "homeostasis", "health", "train", "io"];
const usage = `usage: npm run mutate -- <${FOLDERS.join("|")}> [--budget MINUTES] [--concurrency N] [--plan-only] [--files NAME,NAME… | --rerun-listed]`;

function parseArgs(argv) {
  const options = { folder: undefined, budgetMinutes: 40, concurrency: 2, planOnly: false };
  options.files = undefined; // names of files in src/<folder>, without extension
  options.rerunListed = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--plan-only") {
      options.planOnly = true;
    } else if (arg === "--rerun-listed") {
      options.rerunListed = true;
    } else if (arg === "--files" && argv[i + 1]) {
      options.files = argv[++i].split(",").map((f) => f.replace(/\.(ts|js)$/, ""));
    } else if (arg === "--budget" || arg === "--concurrency") {
      const value = Number(argv[++i]);
      if (!(value > 0)) throw new Error(`${arg} expects a positive number\n${usage}`);
      if (arg === "--budget") options.budgetMinutes = value;
      else options.concurrency = Math.floor(value);
    } else if (FOLDERS.includes(arg) && options.folder === undefined) {
      options.folder = arg;
    } else {
      throw new Error(`unexpected argument "${arg}"\n${usage}`);
    }
  }
  if (options.folder === undefined) throw new Error(usage);
  if (options.files && options.rerunListed)
    throw new Error(`--files and --rerun-listed do not go together\n${usage}`);
  for (const f of options.files ?? [])
    if (!existsSync(`dist/src/${options.folder}/${f}.js`))
      throw new Error(
        `--files: no dist/src/${options.folder}/${f}.js (run npm run build; names are src/${options.folder}'s files)`,
      );
  return options;
}

let options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(err.message);
  process.exit(2);
}
const { folder, budgetMinutes, concurrency, planOnly, files, rerunListed } = options;
const recordDir = `reports/mutation/${folder}`;
const planFile = `${recordDir}/plan.json`;
const tempDir = `.stryker-tmp/${folder}`;
rmSync(planFile, { force: true }); // the recorder writes a fresh one once Stryker has planned
const mutate = mutatePatterns();

const stryker = spawn(
  process.execPath,
  [
    "node_modules/@stryker-mutator/core/bin/stryker.js",
    "run",
    "stryker.config.mjs",
    "--mutate",
    mutate.join(","),
    "--incrementalFile",
    `${recordDir}/incremental.json`,
    "--concurrency",
    String(concurrency),
    // Stryker removes its sandbox only when it finishes; a stopped run's is removed below.
    "--tempDirName",
    tempDir,
  ],
  // Its own process group, so that stopping it also stops the test files its workers started.
  { stdio: "inherit", detached: true, env: { ...process.env, MUTATION_RECORD_DIR: recordDir } },
);

const started = Date.now();
let stopped = false;
const stop = (why) => {
  stopped = true;
  console.error(`mutate: ${why}; stopping Stryker`);
  try {
    process.kill(-stryker.pid, "SIGINT");
  } catch {
    // the group has already exited
  }
};
process.on("SIGINT", () => stop("interrupted"));
const budget = setTimeout(() => stop(`the ${budgetMinutes}-minute budget ran out`), budgetMinutes * 60_000);
const planWatch = setInterval(() => {
  if (!existsSync(planFile)) return;
  clearInterval(planWatch);
  console.log(`mutate: ${estimate(JSON.parse(readFileSync(planFile, "utf8")))}`);
  if (planOnly) stop("--plan-only");
}, 1000);

const exitCode = await new Promise((resolve) => stryker.on("exit", (code) => resolve(code ?? 1)));
clearTimeout(budget);
clearInterval(planWatch);
// Test files stopped mid-run may still be removing their scratch files: retry, and never let a
// sandbox that will not go stop the salvage below (Stryker clears its temp folder at its next run).
if (stopped) {
  try {
    rmSync(tempDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
  } catch (err) {
    console.error(`mutate: ${tempDir} left behind (${err.code ?? err.message})`);
  }
}
if (planOnly) process.exit(existsSync(planFile) ? 0 : 1);
if (stopped) {
  const kept = salvageIncremental(recordDir, `${recordDir}/incremental.json`);
  if (kept > 0) console.log(`mutate: ${kept} results kept for the next run (${recordDir}/incremental.json)`);
}
if (exitCode !== 0 && !stopped) {
  console.error(`mutate: Stryker exited with code ${exitCode}; docs/mutation.md left as it was`);
  process.exit(exitCode);
}

const plan = JSON.parse(readFileSync(planFile, "utf8"));
const results = readFileSync(`${recordDir}/results.jsonl`, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const minutes = (Date.now() - started) / 60_000;
const summary = rerunListed
  ? writeRerunScore({ folder, results, minutes, ranges: mutate })
  : writeFolderScore({ folder, plan, results, minutes, concurrency, cpu: cpuName(), files });
console.log(`mutate: src/${folder}: ${summary} (docs/mutation.md)`);

/** What Stryker mutates: the folder, some of its files, or the lines of its listed mutants. */
function mutatePatterns() {
  if (files) return files.map((f) => `dist/src/${folder}/${f}.js`);
  if (!rerunListed) return [`dist/src/${folder}/**/*.js`];
  const section = readSections().get(folder);
  const listed = section ? parseListed(section.body) : [];
  if (listed.length === 0) {
    console.error(`mutate: docs/mutation.md lists no undetected mutant of src/${folder}; nothing to rerun`);
    process.exit(2);
  }
  const ranges = listedRanges(listed);
  console.log(`mutate: rerunning ${ranges.length} line ranges that hold the ${listed.length} listed mutants`);
  return ranges;
}

/** The plan's size and its worst-case cost: every mutant survives, so runs every file that covers it. */
function estimate(plan) {
  const toRun = plan.filter((m) => m.testFiles > 0);
  const files = toRun.reduce((n, m) => n + m.testFiles, 0);
  const SPAWN_MS = 300; // per test-file run, beyond its tests: the dry run's overhead on the 2-core machine
  const worstMs = toRun.reduce((t, m) => t + m.netTimeMs, 0) + files * SPAWN_MS;
  return (
    `src/${folder}: ${plan.length} mutants, ${toRun.length} to run over ${files} test-file runs; ` +
    `at most ${(worstMs / 60_000 / concurrency).toFixed(0)} minutes at concurrency ${concurrency} (less as killed mutants stop early)`
  );
}

function cpuName() {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return `${line.split(":")[1].trim()}, ${cpus().length} cores`;
  } catch {
    // not Linux: fall through to what Node knows
  }
  return `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores`;
}
