// The vitals loop stays quiet on healthy runs (the short version of bench/vital-false-alarms.ts) after
// looking many times; a learner checks at its own cadence; the loop's events reach the CLI's run record
// and the report's vital-signs section.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { SeaStream } from "../src/data/synthetic-streams.js";
import type { HealthEvent } from "../src/health/findings.js";
import { Learner } from "../src/learner/index.js";
import { parseLearnerConfig } from "../src/learner/config.js";
import { parseRunRecord } from "../src/report/parse.js";
import type { RunRecord } from "../src/report/record.js";
import { vitalsSection } from "../src/report/vitals-view.js";
import { blobsRunConfig } from "./helpers/csv.js";
import { tempDir } from "./helpers/tmp.js";

interface LoopState {
  monitor: {
    events: HealthEvent[];
    memory?: { plasticityLoss?: { checks: number }; forgetting?: { probes: number } };
  };
}

test("a stationary stream through the learner: many checks and probes, no event", () => {
  const l = Learner.create({
    task: "classification",
    hidden: [16],
    seed: 1,
    homeostasis: ["redo", { type: "vitals", checkEvery: 10 }],
  });
  for (const { x, y } of new SeaStream({ seed: 3, conceptLength: 1e6 }).take(3000)) l.observe(x, y);
  const loop = (l.getState().network!.run.observers as Record<string, LoopState>).vitals;
  // 3000 steps / 10: the baseline (checks 10–30) and the recent window both filled, and compared 250 times.
  assert.equal(loop.monitor.memory?.plasticityLoss?.checks, 300);
  // A probe every 5 checks (300 / 5); segments are kept from check 10 on.
  assert.equal(loop.monitor.memory?.forgetting?.probes, 60);
  assert.deepEqual(
    loop.monitor.events.map((e) => e.kind),
    [],
  );
});

test("a learner's loop checks every 100 steps unless told (batch 1: the monitor's 20 suits batches of 16+)", () => {
  const every = (homeostasis: unknown[]) =>
    parseLearnerConfig({ task: "classification", homeostasis }).homeostasis.map((r) => r.options.checkEvery);
  assert.deepEqual(every(["vitals"]), [100]);
  assert.deepEqual(every([{ type: "vitals" }, "redo"]), [100, undefined]);
  assert.deepEqual(every([{ type: "vitals", checkEvery: 20 }]), [20]);
});

const loopEvent = (step: number, kind: string, evidence: Record<string, number> = {}): HealthEvent => ({
  step,
  kind,
  evidence,
  diagnosis: `${kind} at ${step}`,
  action: "a",
});

test("the report's vital-signs section: detections, remedies and outcomes counted, in order", () => {
  const record = {
    health: {
      checkEvery: 20,
      points: [],
      events: [
        loopEvent(40, "dyingRelu"),
        loopEvent(100, "plasticityLoss"),
        loopEvent(100, "remedyApplied", { remedy: 0 }),
        loopEvent(500, "remedyRolledBack", { remedy: 0 }),
        loopEvent(600, "forgetting"),
        loopEvent(600, "replayRaised", { share: 0.25 }),
        loopEvent(900, "remedyVerified", { share: 0.25 }),
      ],
    },
  } as unknown as RunRecord;
  const html = vitalsSection([{ label: "run", record }]);
  assert.match(
    html,
    /2 detections, 2 remedies applied or changed; outcomes: 1 verified, 1 rolled back, 0 with no remedy left/,
  );
  const rows = [...html.matchAll(/<tr><td>(\d+)<\/td><td>(\w+)<\/td><td><span[^>]*>(\w+)</g)].map((m) =>
    m.slice(1),
  );
  assert.deepEqual(rows, [
    ["100", "plasticity", "plasticityLoss"],
    ["100", "plasticity", "remedyApplied"],
    ["500", "plasticity", "remedyRolledBack"],
    ["600", "memory", "forgetting"],
    ["600", "memory", "replayRaised"],
    ["900", "memory", "remedyVerified"],
  ]);
  assert.equal(
    vitalsSection([{ label: "run", record: { health: { events: [loopEvent(1, "nonFinite")] } } as never }]),
    "",
  );
});

test("train: the loop's events enter the run record and the report, with the monitor off", () => {
  const dir = tempDir("vitals-cli");
  // Labels drawn at random (a fixed LCG): a large step memorises and forgets rows in turn.
  let a = 7;
  const rnd = () => (a = (a * 1103515245 + 12345) % 2147483648) / 2147483648;
  const rows = Array.from(
    { length: 200 },
    () =>
      `${rnd().toFixed(3)},${rnd().toFixed(3)},${rnd().toFixed(3)},${["a", "b", "c"][Math.floor(rnd() * 3)]}`,
  );
  writeFileSync(join(dir, "blobs.csv"), `x1,x2,x3,label\n${rows.join("\n")}\n`);
  const config = blobsRunConfig({
    health: { monitor: false },
    epochs: 30,
    optimizer: { type: "sgd", lr: 2 },
    homeostasis: [{ type: "vitals", forgettingBudget: 0.01, checkEvery: 1, plasticity: false }],
    report: "out/run.html",
  });
  writeFileSync(join(dir, "run.json"), config);
  const bin = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
  const r = spawnSync(process.execPath, [bin, "train", "--config", "run.json", "--json"], {
    cwd: dir,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split("\n").pop()!);
  const record = parseRunRecord(JSON.parse(readFileSync(summary.record, "utf8")));
  const kinds = record.health!.events.map((e) => e.kind);
  assert.equal(kinds[0], "forgetting", kinds.join(", "));
  assert.equal(kinds[1], "replayRaised");
  assert.deepEqual(
    summary.health.events.map((e: HealthEvent) => e.kind),
    kinds,
  );
  assert.match(readFileSync(join(dir, "out", "run.html"), "utf8"), /<h2>Vital signs loop<\/h2>/);
});
