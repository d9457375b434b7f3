// The two test tiers, by file name. `npm run test:unit` runs every compiled test file except the slow
// ones listed here (no browser, no CLI child processes, no long training runs); `npm run test:e2e`
// runs those; `npm test` (CI) runs every file whatever its tier. A new test file is in the unit tier
// unless it is listed here, so keep it to a few seconds or add it below.
//
//   node scripts/test-tiers.mjs unit|e2e [node --test options…]   # runs the tier's files
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const TEST_DIR = "dist/test";

/**
 * The slow files: seconds measured one file at a time on the 2-core machine while shared (load
 * average 5-10, 2026-12). The other 32 files summed to 63 s there; as a tier, 33 s on it idle.
 */
export const SLOW_FILES = [
  "e2e-playground", // 31 s: builds the playground with Vite and drives Chromium
  "e2e-report", // 8 s: drives Chromium over a rendered report
  "e2e-browser-root", // 7 s: bundles the root with Vite, trains in Chromium
  "e2e-browser-app", // 16 s (load 3.5): npm pack + install, Vite build, trains in Chromium's workers
  "resume", // 208 s: kills real training processes at random moments and resumes them
  "backend-vs-js", // 58–123 s: every kernel against js's, over all four wasm variants
  "continual-golden", // 89 s: full continual-learning runs against recorded figures
  "cli-files", // 56 s: 95 CLI child processes
  "homeostasis-plasticity", // 45 s: one long plasticity experiment
  // "cli" (37 s) split in two: CLI child processes
  "cli-commands", // demo mnist, train → eval → predict, export
  "cli-refusals", // bad configs, CSV, IDX, model files, output paths
  "continual-resume", // 27 s: continual runs stopped and resumed
  "health-zoo", // 25 s: the health zoo, every case a training run
  "cli-rows", // 18 s: CLI child processes
  "report-cli", // 8 s: CLI child processes writing and rendering run records
  "conv-train", // 20–40 s: a CNN trained through the CLI for 250 steps, then eval
  "cli-help", // 7 s: CLI child processes; reads docs/cli.md, which the mutation sandbox leaves out
  "cli-progress", // CLI child processes (a training run through a pipe)
  "serve-crash", // 4–7 s: kills a live --serve child process 5 times and resumes it
  "cli-serve", // 2.5 s: live --serve child processes (usage errors, SIGTERM)
  "cli-replay", // 9 s: an incident recorded through a service, then replay child processes
  "e2e-dashboard", // 4–8 s: drives Chromium over a live service's dashboard
  "api-examples", // 32 s (load 12): the API model, then tsc over every @example; reads scripts/ and src/
  "examples", // 12 s (load 12): every examples/*.mjs as a child process
  "api-report", // 1 s, but reads scripts/ and docs/, which the mutation sandbox leaves out
  "readme-learner", // 1 s, but reads README.md, which the mutation sandbox leaves out
  "side-effects", // 2 s, but parses src/*.ts, which the mutation sandbox leaves out (Stryker's dry run failed)
  "cli-blocks", // CLI child processes: trains examples/residual-mlp.json on the digits
  "health-checks-digits", // 2 s loading the digits, which every src/health/checks.ts mutant would wait on
  // Measured 2026-12-03 at load 24 (nice 10): CLI child processes, which the unit tier leaves out.
  "cli-live", // 24 s: homeostat live child processes
  "homeostasis-vitals-quiet", // 11 s: homeostat train child processes
  "io-safetensors-torch", // 11 s: CLI child processes over safetensors files
  "bench-monitor-overhead", // 6 s: the monitor bench as a child process, over short runs
];

/** The compiled test files of a tier, as paths from the repository root. */
export function tierFiles(tier, dir = TEST_DIR) {
  if (tier !== "unit" && tier !== "e2e") throw new Error(`unknown test tier "${tier}" (unit or e2e)`);
  const slow = new Set(SLOW_FILES.map((name) => `${name}.test.js`));
  const all = readdirSync(dir);
  // A renamed slow file would otherwise drop silently into the unit tier.
  const missing = [...slow].filter((f) => !all.includes(f));
  if (missing.length > 0) throw new Error(`SLOW_FILES names files not in ${dir}: ${missing.join(", ")}`);
  return all
    .filter((f) => f.endsWith(".test.js") && slow.has(f) === (tier === "e2e"))
    .sort()
    .map((f) => `${dir}/${f}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [tier, ...nodeTestArgs] = process.argv.slice(2);
  let files;
  try {
    files = tierFiles(tier);
  } catch (err) {
    console.error(`test-tiers: ${err.message}`);
    process.exit(2);
  }
  const run = spawnSync(process.execPath, ["--test", ...nodeTestArgs, ...files], { stdio: "inherit" });
  process.exit(run.status ?? 1);
}
