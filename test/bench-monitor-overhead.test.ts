import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const bench = fileURLToPath(new URL("../bench/monitor-overhead.js", import.meta.url));

test("monitor-overhead: each run takes rounds until --chunks chunk pairs, at the period --check-every gives", () => {
  // A check every 10 steps makes chunks of 50: one epoch of the 8,000 digits (125 steps) is 3 chunks a round,
  // 2,000 rows (32 steps) one, so 3 chunk pairs take the demo one round and the other run three.
  const args = ["--pairs", "1", "--rounds", "1", "--chunks", "3", "--epochs", "1", "--rows", "2000"];
  const run = spawnSync(process.execPath, ["--expose-gc", bench, ...args, "--check-every", "10"], {
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /a check every 10 steps/);
  const row = (name: RegExp) =>
    run.stdout
      .split("\n")
      .find((line) => name.test(line))
      ?.split(" | ");
  const demo = row(/^\| demo mnist, 1 epoch/);
  const rows = row(/^\| 784-256-10 Adam, batch 64, 2,000 rows/);
  assert.ok(demo && rows, run.stdout);
  assert.match(demo[2], /^\*\*-?\d+\.\d%\*\* \(1 × 3\)$/);
  assert.match(demo[3], /^-?\d+\.\d%$/); // without each round's first chunk: two are left
  assert.match(rows[2], /^\*\*-?\d+\.\d%\*\* \(3 × 1\)$/);
  assert.equal(rows[3], "–"); // a round of one chunk leaves none
});
