import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SeaStream } from "../src/data/synthetic-streams.js";
import { loadLearner } from "../src/io/learner-file.js";
import { Learner, type LearnerState } from "../src/learner/index.js";
import { type TraceRow, traceLearner } from "../src/serve/replay-trace.js";
import { serve } from "../src/serve/server.js";
import { tempDir } from "./helpers/tmp.js";
import { useBackend } from "../src/backend/index.js";

// The incident is recorded on js, so its checkpoints name js, and replay (given no --backend) runs there.
useBackend("js");

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "cli", "bin.js");
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, "replay", ...args], { encoding: "utf8" });
const timeless = (s: LearnerState): LearnerState => ({ ...s, seconds: 0 });
/** As the trace travels through --json: NaN and ±Infinity become null. */
const asJson = <T>(v: T): T => JSON.parse(JSON.stringify(v));

const ROWS = 2400;
/** Rows 1201–1300 come from a sensor that reports in the wrong units (1000× the values). */
const BURST = [1201, 1300];

/**
 * The incident: a service whose learner runs Adam at 0.1, 100× its default rate (a mistyped config), on
 * SEA rows, a hundred of which arrive 1000× too large. The health monitor finds dying ReLU units, then
 * weights thrown about after the burst (rolled back, the rate cut; without the burst it finds no such
 * thing); the drift detector fires after it.
 */
async function recordIncident(dir: string) {
  // The clip of ±5 std and the centred inputs (the defaults before 2026-12-03) let the burst through far
  // enough to show the incident; so does a hidden layer without layer normalisation (the default before
  // 2026-12-04), which the burst's scale reaches unnormalised.
  const learner = Learner.create({
    task: "classification",
    seed: 1,
    hidden: [64],
    optimizer: { type: "adam", lr: 0.1 },
    normalizeClip: 5,
    normalizeCenter: 1,
  });
  const live: TraceRow[] = [];
  traceLearner(learner, 1, (r) => live.push(r));
  const service = await serve(learner, { dir, port: 0, every: 1000, keep: 10, warn: () => {} });
  const rows = [...new SeaStream({ seed: 1 }).take(ROWS)].map(({ x, y }, i) => ({
    x: [...x],
    y,
    ...(i + 1 >= BURST[0] && i + 1 <= BURST[1] ? { x: x.map((v) => v * 1000) } : {}),
  }));
  const answers: { label: unknown; probability: number }[] = [];
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${service.url}${path}`, { method: "POST", body: JSON.stringify(body ?? {}) });
    assert.equal(res.status, 200, await res.clone().text());
    return res.json();
  };
  for (let i = 0; i < ROWS; i += 50) {
    answers.push(...(await post("/observe", rows.slice(i, i + 50))).predictions);
    if (i + 50 === 1800) assert.deepEqual(await post("/checkpoint"), { seq: 1800 });
  }
  await service.close();
  return { live, answers, rows };
}

test("replay --trace: an incident recorded live through the service is replayed with the same statistics, and the rebuilt learner equals the live checkpoint bit for bit", async () => {
  const dir = tempDir("cli-replay");
  const service = join(dir, "service");
  const { live, answers, rows } = await recordIncident(service);
  assert.equal(live.length, ROWS);

  // The live statistics are what they claim to be: the loss before learning is the cross-entropy of the
  // prediction the client was answered (for a hit, −log of its probability), every row took a step.
  for (let i = 0; i < ROWS; i++) {
    const r = live[i];
    assert.equal(r.seq, i + 1);
    assert.equal(r.hit, answers[i].label === rows[i].y, `row ${i + 1}: hit`);
    if (r.hit && answers[i].probability > 0)
      assert.ok(Math.abs(r.loss + Math.log(answers[i].probability)) < 1e-5, `row ${i + 1}: loss ${r.loss}`);
    assert.equal(r.step, i + 1);
    assert.ok(r.gradNorm !== null && r.gradNorm >= 0 && Number.isFinite(r.gradNorm), `row ${i + 1} |g|`);
  }
  const window = live.slice(1100, 1800);
  const events = window.flatMap((r) => r.events);
  assert.ok(events.length >= 1, "the incident shows health events in the window");
  assert.ok(
    events.some((e) => e.kind === "lrTooHigh" && e.step >= BURST[0]),
    "the burst throws the weights about",
  );
  assert.ok(
    window.some((r) => r.drift !== null),
    "and a drift follows",
  );

  const out = join(dir, "at-1800");
  const run = cli(["--dir", service, "--from", "1100", "--to", "1800", "--trace", "--out", out, "--json"]);
  assert.equal(run.status, 0, run.stderr);
  const { replay } = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
  assert.equal(replay.checkpoint, 1000, "from the newest checkpoint at or before --from");
  assert.deepEqual(replay.trace, asJson(window), "the same statistics, drifts and events as the live run");
  assert.deepEqual(
    timeless((await loadLearner(out)).getState()),
    timeless((await loadLearner(join(service, "checkpoints", "0000000000001800"))).getState()),
  );

  // The human trace names the events in plain words.
  const text = cli(["--dir", service, "--from", "1100", "--to", "1800", "--trace"]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^row 1101 {2}(hit |miss) loss /m);
  assert.match(text.stdout, new RegExp(`health · step \\d+ · ${events[0].kind}`));
  assert.match(text.stdout, /drift: /);
});

test("replay: usage and window mistakes exit 2 with a message", async () => {
  const dir = tempDir("cli-replay-bad");
  const service = join(dir, "service");
  const learner = Learner.create({ task: "classification", seed: 2, hidden: [4] });
  const s = await serve(learner, { dir: service, port: 0, every: 20, keep: 1, warn: () => {} });
  for (let i = 0; i < 60; i += 10) {
    const body = Array.from({ length: 10 }, (_, j) => ({ x: [i + j, (i + j) % 3], y: (i + j) % 2 }));
    assert.equal(
      (await fetch(`${s.url}/observe`, { method: "POST", body: JSON.stringify(body) })).status,
      200,
    );
  }
  await s.close();
  const cases: [string[], RegExp][] = [
    [["--from", "0"], /replay needs --dir DIR/],
    [["--dir", service], /replay needs --from ROW/],
    [["--dir", service, "--from", "x"], /--from: expected an integer ≥ 0, got "x"/],
    [["--dir", service, "--from", "10", "--to", "5"], /--to: expected a row number ≥ --from \(10\), got 5/],
    [["--dir", service, "--from", "10", "--to", "61"], /--to 61: the log of .* ends at row 60/],
    [
      ["--dir", service, "--from", "10"],
      /--from 10: no checkpoint at or before it .* rows 60; .*serve\.keep/,
    ],
    [["--dir", dir, "--from", "0"], /no write-ahead log there/],
    [["--dir", service, "--from", "0", "--seed", "3"], /leave out --seed/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});
