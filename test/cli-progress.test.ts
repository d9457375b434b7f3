import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { epochLog, formatEpochLine, progressBar } from "../src/cli/progress.js";
import type { EpochEvent, TrainingControl } from "../src/train/events.js";
import { blobsCsv, blobsRunConfig } from "./helpers/csv.js";
import { tempDir } from "./helpers/tmp.js";

const epoch: EpochEvent = {
  epoch: 2,
  train: { loss: 0.123456, accuracy: 0.9512 },
  validation: { loss: 0.2345678, accuracy: 0.875 },
  lr: 0.00031234,
  steps: 30,
  seconds: 1.26,
};
// Written by hand from the event above: every figure a terminal shows.
const EXPECTED = "epoch 3/10  loss 0.1235  acc 95.12%  val loss 0.2346  val acc 87.50%  lr 0.000312  1.3s";

test("a pipe and a terminal print the very same epoch line; the terminal only adds the bar", () => {
  assert.equal(formatEpochLine(epoch, 10), EXPECTED);
  const piped: string[] = [];
  epochLog((line) => piped.push(line), 10).onEpochEnd!(epoch, {} as TrainingControl);
  assert.deepEqual(piped, [EXPECTED]);
  let written = "";
  const terminal = {
    write: (s: string) => {
      written += s;
      return true;
    },
  } as NodeJS.WriteStream;
  progressBar(terminal, 10, 3).onEpochEnd!(epoch, {} as TrainingControl);
  assert.equal(written, `\r\x1b[2K${EXPECTED}\n`);
  // Without validation data or accuracy, the line says only what was measured.
  assert.equal(
    formatEpochLine({ epoch: 0, train: { loss: 2 }, lr: 0.1, steps: 5, seconds: 0.04 }, 1),
    "epoch 1/1  loss 2.0000  lr 0.100  0.0s",
  );
});

test("homeostat train on a pipe logs validation loss and learning rate in every epoch line", () => {
  const dir = tempDir("progress");
  writeFileSync(join(dir, "blobs.csv"), blobsCsv(100));
  writeFileSync(join(dir, "run.json"), blobsRunConfig({ epochs: 3, out: "blobs.hmst" }));
  const bin = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
  const r = spawnSync(process.execPath, [bin, "train", "--config", "run.json"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l.startsWith("epoch "));
  assert.equal(lines.length, 3, r.stdout);
  for (const l of lines)
    assert.match(
      l,
      /^epoch \d\/3 {2}loss \d\.\d{4} {2}acc [\d.]+% {2}val loss \d\.\d{4} {2}val acc [\d.]+% {2}lr 0\.0500 {2}[\d.]+s$/,
    );
});
