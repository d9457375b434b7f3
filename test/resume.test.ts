import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeModel } from "../src/io/model.js";
import { tempDir } from "./helpers/tmp.js";
import { blobsCsv } from "./helpers/csv.js";

const BIN = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));

function setup(dir: string): void {
  writeFileSync(join(dir, "blobs.csv"), blobsCsv(150));
  // Dropout and shuffling make every random stream matter; a checkpoint after every step makes the
  // process spend most of its time writing checkpoints, so kills often land mid-write.
  writeFileSync(
    join(dir, "run.json"),
    JSON.stringify({
      seed: 1,
      data: {
        format: "csv",
        path: "blobs.csv",
        target: "label",
        normalize: "standardize",
        validationSplit: 0.1,
      },
      model: {
        layers: [
          { type: "dense", units: 16, activation: "relu" },
          { type: "dropout", rate: 0.2 },
          { type: "dense", units: 3, activation: "softmax" },
        ],
      },
      loss: "crossEntropy",
      optimizer: { type: "adam", lr: 0.01 },
      schedule: { type: "step", stepSize: 10, gamma: 0.8 },
      epochs: 100,
      batchSize: 8,
      checkpoint: { every: 1, keep: 2, dir: "ck" },
      out: "final.hmst",
    }),
  );
}

const weightsOf = (path: string): number[][] =>
  decodeModel(readFileSync(path))
    .model.parameters()
    .map(([, t]) => Array.from(t.data));

function runToEnd(dir: string, args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, "--quiet"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stderr: r.stderr };
}

/** Adds the checkpoint files now in `dir`/ck to `seen` (they rotate: keep 2) and returns how many it holds. */
function checkpointsSeen(dir: string, seen: Set<string>): number {
  const ck = join(dir, "ck");
  if (existsSync(ck)) for (const f of readdirSync(ck)) if (f.endsWith(".ckpt")) seen.add(f);
  return seen.size;
}

/** Run `args` in `dir` to the end: its exit code, wall time and when its first checkpoint appeared (ms). */
function timedRun(
  dir: string,
  args: string[],
): Promise<{ code: number | null; wall: number; firstCheckpoint: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let firstCheckpoint = Number.NaN;
    const child = spawn(process.execPath, [BIN, ...args, "--quiet"], { cwd: dir, stdio: "ignore" });
    const seen = new Set<string>();
    const poll = setInterval(() => {
      if (Number.isNaN(firstCheckpoint) && checkpointsSeen(dir, seen) > 0)
        firstCheckpoint = performance.now() - started;
    }, 2);
    child.on("exit", (code) => {
      clearInterval(poll);
      const wall = performance.now() - started;
      resolve({ code, wall, firstCheckpoint: Number.isNaN(firstCheckpoint) ? 0 : firstCheckpoint });
    });
  });
}

function killAfter(
  dir: string,
  ms: number,
  args = ["train", "--config", "run.json"],
): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, "--quiet"], { cwd: dir, stdio: "ignore" });
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("exit", (_code, signal) => {
      clearTimeout(timer);
      resolve(signal);
    });
  });
}

test("a run killed with SIGKILL at random moments and resumed ends with bit-identical weights", async () => {
  const refDir = tempDir("resume-ref");
  setup(refDir);
  const { code, wall, firstCheckpoint } = await timedRun(refDir, ["train", "--config", "run.json"]);
  assert.equal(code, 0);
  const reference = weightsOf(join(refDir, "final.hmst"));

  let killed = 0;
  let midWrite = 0;
  // Kill points spread between the uninterrupted run's first checkpoint and its end (start-up is
  // most of a short run on a fast machine): mid-run on a fast or a loaded machine.
  const span = wall - firstCheckpoint;
  for (const ms of [0.1, 0.3, 0.5, 0.7, 0.9].map((f) => Math.round(firstCheckpoint + f * span))) {
    const dir = tempDir("resume");
    setup(dir);
    const signal = await killAfter(dir, ms);
    if (signal !== "SIGKILL") continue; // finished before the kill: nothing to resume
    if (!existsSync(join(dir, "ck")) || readdirSync(join(dir, "ck")).length === 0) continue; // killed before the first checkpoint
    killed++;
    if (readdirSync(join(dir, "ck")).some((f) => f.endsWith(".tmp"))) midWrite++;
    const r = runToEnd(dir, ["train", "--resume", "ck"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(weightsOf(join(dir, "final.hmst")), reference, `killed after ${ms} ms`);
  }
  assert.ok(killed >= 3, `only ${killed} runs were killed mid-training`);
  // Not asserted (timing decides it), but worth seeing when a kill hit a checkpoint write.
  if (midWrite === 0) process.stderr.write("note: no kill landed during a checkpoint write this time\n");
});

test("a damaged newest checkpoint is skipped with a warning naming it, and the run still ends identical", () => {
  const refDir = tempDir("resume-ref2");
  setup(refDir);
  assert.equal(runToEnd(refDir, ["train", "--config", "run.json"]).code, 0);
  const dir = tempDir("resume-damaged");
  setup(dir);
  // Complete the run, then damage its newest checkpoint: resuming must fall back to the one before
  // and redo the last step.
  assert.equal(runToEnd(dir, ["train", "--config", "run.json"]).code, 0);
  const names = readdirSync(join(dir, "ck"))
    .filter((f) => f.endsWith(".ckpt"))
    .sort();
  assert.equal(names.length, 2, "keep: 2");
  truncateSync(join(dir, "ck", names[1]), 100);
  const r = runToEnd(dir, ["train", "--resume", "ck"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`skipping damaged checkpoint .*${names[1]}`));
  assert.deepEqual(weightsOf(join(dir, "final.hmst")), weightsOf(join(refDir, "final.hmst")));
});

/** A small continual run (replay on split digits) that writes a checkpoint every 2 steps. */
function setupContinual(dir: string): void {
  writeFileSync(
    join(dir, "cl.json"),
    JSON.stringify({
      continual: {
        stream: "split",
        scenario: "class",
        tasks: 3,
        epochs: 3,
        batchSize: 16,
        trainPerTask: 160,
        testPerTask: 40,
        seed: 3,
        compareJoint: false,
        strategy: { type: "replay", bufferSize: 60 },
      },
      checkpoint: { every: 2, keep: 2, dir: "ck" },
    }),
  );
}

function continualR(dir: string, args: string[]): number[][] {
  const r = spawnSync(process.execPath, [BIN, ...args, "--json", "--quiet"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]).continual.R;
}

/**
 * Start `args` in `dir` and SIGKILL it as soon as `nth` distinct checkpoint files have appeared in `ck`
 * (polled every 2 ms): a kill that lands mid-stream on any machine, fast or loaded, where a kill after a
 * share of the wall time could land before the first checkpoint or after the last step.
 */
function killOnCheckpoint(dir: string, nth: number, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, "--quiet"], { cwd: dir, stdio: "ignore" });
    const seen = new Set<string>();
    const poll = setInterval(() => {
      if (checkpointsSeen(dir, seen) >= nth) child.kill("SIGKILL");
    }, 2);
    child.on("exit", (_code, signal) => {
      clearInterval(poll);
      resolve(signal);
    });
  });
}

test("a continual run killed with SIGKILL and resumed with homeostat continual --resume measures the same R", async () => {
  const refDir = tempDir("cl-resume-ref");
  setupContinual(refDir);
  const reference = continualR(refDir, ["continual", "--config", "cl.json"]);
  assert.equal(reference.length, 3);
  let killed = 0;
  // 45 checkpoints in all (90 steps, every 2): kill after the 1st, 4th, 12th and 25th seen — tasks 1 to 2.
  for (const nth of [1, 4, 12, 25]) {
    const dir = tempDir("cl-resume");
    setupContinual(dir);
    const signal = await killOnCheckpoint(dir, nth, ["continual", "--config", "cl.json"]);
    if (
      signal !== "SIGKILL" ||
      !existsSync(join(dir, "ck")) ||
      readdirSync(join(dir, "ck")).filter((f) => f.endsWith(".ckpt")).length === 0
    )
      continue;
    killed++;
    assert.deepEqual(
      continualR(dir, ["continual", "--resume", "ck"]),
      reference,
      `killed after checkpoint ${nth}`,
    );
  }
  assert.ok(killed >= 3, `only ${killed} of 4 runs were killed mid-stream`);
  // Each command refuses the other's checkpoints, with the command to use.
  const r = runToEnd(refDir, ["train", "--resume", "ck"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /continual run; resume it with homeostat continual --resume ck/);
});
