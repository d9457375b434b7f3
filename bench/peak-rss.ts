/**
 * Peak memory of one contestant training the MLP 784-256-256-10 at batch 64 (issue 6): each contestant
 * runs in a process of its own for a fixed time, and the process's peak resident set size is printed.
 *
 *   node dist/bench/peak-rss.js                      # all three, one process each, 15 s of training
 *   node dist/bench/peak-rss.js --one wasm [--seconds S]   # one contestant in this process
 *
 * Contestants: `js` and `wasm` (Homeostat, one thread), `tfjs-wasm` (TensorFlow.js wasm, optimizer.minimize).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Contestant } from "./harness.js";
import { homeostatTrainer, makeMlpTask } from "./homeostat.js";

const CONTESTANTS = ["js", "wasm", "tfjs-wasm"] as const;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function runOne(which: string, seconds: number): Promise<void> {
  const task = makeMlpTask({
    inputs: 784,
    hidden: [256, 256],
    classes: 10,
    batchSize: 64,
    lr: 0.01,
    batches: 4,
    seed: 1,
  });
  let c: Contestant;
  if (which === "tfjs-wasm") {
    const tf = await import("./peers-tfjs.js");
    await tf.initTfjs();
    c = tf.tfjsMinimize("wasm", task);
  } else if (which === "js" || which === "wasm") {
    c = homeostatTrainer(task, { backend: which, threads: 1 });
  } else {
    throw new Error(`unknown contestant "${which}"; expected ${CONTESTANTS.join(", ")}`);
  }
  let samples = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) samples += (await c.run(4)).work;
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ contestant: which, seconds, samples, peakRssMiB: Number(peak.toFixed(1)) }));
}

const one = flag("one");
const seconds = Number(flag("seconds") ?? 15);
if (one) {
  await runOne(one, seconds);
} else {
  console.log(`| contestant | peak RSS (MiB) | samples trained in ${seconds} s |`);
  console.log("| --- | --- | --- |");
  for (const which of CONTESTANTS) {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), "--one", which, "--seconds", String(seconds)],
      { encoding: "utf8" },
    );
    const line = r.stdout.trim().split("\n").pop() ?? "";
    try {
      const j = JSON.parse(line) as { peakRssMiB: number; samples: number };
      console.log(`| ${which} | ${j.peakRssMiB} | ${j.samples.toLocaleString("en-US")} |`);
    } catch {
      console.log(`| ${which} | failed: ${(r.stderr || line).trim().split("\n").pop()} | |`);
    }
  }
}
