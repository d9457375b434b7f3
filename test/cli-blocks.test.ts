/**
 * Blocks and batch norm through the CLI: the ResNet-style example trains on the bundled digits (one
 * epoch here), the health monitor measures the dense layers inside the blocks, and a run resumed from
 * a checkpoint ends with the same weights and the same running statistics as one that never stopped.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeContainer } from "../src/io/container.js";
import { blobsCsv } from "./helpers/csv.js";
import { tempDir } from "./helpers/tmp.js";

const BIN = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../../examples/residual-mlp.json", import.meta.url));

function cli(dir: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8", timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("examples/residual-mlp.json trains on the digits; health sees the layers inside the blocks", () => {
  const dir = tempDir("residual-example");
  const config = JSON.parse(readFileSync(EXAMPLE, "utf8"));
  writeFileSync(join(dir, "run.json"), JSON.stringify({ ...config, epochs: 1 }));
  const r = cli(dir, ["train", "--config", "run.json", "--quiet", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split("\n").pop() as string);
  assert.ok(summary.test.accuracy > 0.85, `test accuracy after one epoch: ${summary.test.accuracy}`);
  const record = JSON.parse(readFileSync(join(dir, "runs", "run", "model.record.json"), "utf8"));
  const seen = new Set(
    record.health.points.flatMap((p: { layers: { layer: string }[] }) => p.layers.map((l) => l.layer)),
  );
  for (const name of ["0", "1.0", "1.3", "3.0", "3.3", "5"])
    assert.ok(seen.has(name), `health measured layer ${name}`);
});

function blobsRun(dir: string): void {
  writeFileSync(join(dir, "blobs.csv"), blobsCsv(120));
  writeFileSync(
    join(dir, "run.json"),
    JSON.stringify({
      seed: 2,
      data: {
        format: "csv",
        path: "blobs.csv",
        target: "label",
        normalize: "standardize",
        validationSplit: 0.2,
      },
      model: {
        layers: [
          { type: "dense", units: 8, activation: "relu" },
          {
            type: "residual",
            layers: [
              { type: "dense", units: 8 },
              { type: "batchNorm" },
              { type: "activation", activation: "relu" },
            ],
          },
          {
            type: "concat",
            branches: [[{ type: "dense", units: 4, activation: "tanh" }], [{ type: "groupNorm", groups: 2 }]],
          },
          { type: "dense", units: 3, activation: "softmax" },
        ],
      },
      loss: "crossEntropy",
      optimizer: { type: "adam", lr: 0.01 },
      schedule: { type: "plateau", patience: 1, factor: 0.5 },
      epochs: 6,
      batchSize: 16,
      checkpoint: { every: 5, keep: 100, dir: "ck" },
      out: "final.hmst",
    }),
  );
}

/** Every stored weight and running statistic, read from the file's tensors (not through a model). */
const stateOf = (path: string) =>
  decodeContainer(readFileSync(path))
    .tensors.filter((t) => /^\d/.test(t.name))
    .map((t) => [t.name, Array.from(t.data)]);

test("a run with batch norm resumed from a mid-run checkpoint ends with identical weights and running statistics", () => {
  const dir = tempDir("bn-resume");
  blobsRun(dir);
  assert.equal(cli(dir, ["train", "--config", "run.json", "--quiet"]).code, 0);
  const reference = stateOf(join(dir, "final.hmst"));
  const checkpoints = readdirSync(join(dir, "ck"))
    .filter((f) => f.endsWith(".ckpt"))
    .sort();
  assert.ok(checkpoints.length > 4, `${checkpoints.length} checkpoints`);
  // Forget everything after an early checkpoint, and go on from there.
  for (const f of checkpoints.slice(3)) rmSync(join(dir, "ck", f));
  rmSync(join(dir, "final.hmst"));
  const r = cli(dir, ["train", "--resume", "ck", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const again = stateOf(join(dir, "final.hmst"));
  assert.deepEqual(
    again.map(([n]) => n),
    reference.map(([n]) => n),
  );
  assert.ok(again.some(([n]) => String(n).includes("runningVar")));
  assert.deepEqual(again, reference);
});

test("a bad layer inside a block is refused with exit 2, named by its place", () => {
  const dir = tempDir("blocks-bad");
  writeFileSync(join(dir, "blobs.csv"), blobsCsv(30));
  const refuse = (layers: unknown[], pattern: RegExp) => {
    writeFileSync(
      join(dir, "bad.json"),
      JSON.stringify({
        data: { format: "csv", path: "blobs.csv", target: "label" },
        model: { layers },
        loss: "crossEntropy",
        optimizer: { type: "adam", lr: 0.01 },
        epochs: 1,
      }),
    );
    const r = cli(dir, ["train", "--config", "bad.json"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  };
  const out = { type: "dense", units: 3, activation: "softmax" };
  refuse(
    [
      {
        type: "residual",
        layers: [
          { type: "dense", units: 8 },
          { type: "groupNorm", groups: 3 },
        ],
      },
      out,
    ],
    /model\.layers\[0\]\.layers\[1\]\.groups: groupNorm: 8 input channels do not split into 3 groups/,
  );
  refuse(
    [{ type: "concat", branches: [[{ type: "batchNorm", momentum: 2 }]] }, out],
    /model\.layers\[0\]\.branches\[0\]\[0\]\.momentum: must be ≥ 0 and ≤ 1, got 2/,
  );
});
