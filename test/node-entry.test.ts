/**
 * The package's two entries, imported by the package's own name as a user imports them (Node resolves a
 * package's self-reference through its "exports"): "homeostat/node" carries the service, the durable
 * learner and the flight recorder beside everything of the root; the root carries none of them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as root from "homeostat";
import * as node from "homeostat/node";
import { tempDir } from "./helpers/tmp.js";

test('"homeostat/node" exports the service and the durable learner; the root does not', () => {
  const nodeOnly = [
    "serve",
    "DurableLearner",
    "WriteAheadLog",
    "replayLearner",
    "traceLearner",
    "prometheusText",
    "dashboardPage",
    // The file system's half of what the root does in bytes (issue 21).
    "writeFileAtomic",
    "readModelBytes",
    "CheckpointWriter",
    "loadLatestCheckpoint",
    "writeTfjs",
    "readTfjs",
    "writeSafetensors",
    "readArchitectureFile",
    "loadCsv",
    "loadIdxDataset",
    "loadBundledMnist",
    "saveLearner",
    "loadLearner",
  ];
  for (const name of nodeOnly) {
    assert.equal(typeof (node as Record<string, unknown>)[name], "function", `homeostat/node: ${name}`);
    assert.equal(name in root, false, `the root stays without ${name}`);
  }
  for (const name of Object.keys(root)) assert.ok(name in node, `homeostat/node re-exports ${name}`);
  assert.equal(node.Learner, root.Learner, "the same classes, not copies");
  assert.notEqual(node.runContinual, root.runContinual, "node's defaults to the bundled digits");
  assert.throws(
    () =>
      root.continualStreams(
        root.parseContinualConfig({ stream: "split", scenario: "class", strategy: { type: "naive" } }),
      ),
    /no data set/,
    "the root's runner asks for its data",
  );
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  assert.deepEqual(Object.keys(pkg.exports), [".", "./node"]);
});

test("a learner round-trips through bytes (root) and through a folder (homeostat/node)", async () => {
  const learner = root.Learner.create({ task: "regression", seed: 3, hidden: [4] });
  for (let i = 0; i < 20; i++) learner.observe([i / 10, (i % 4) / 3], i / 15);
  const fromBytes = root.Learner.fromBytes(learner.toBytes());
  assert.deepEqual(learner.toBytes(), root.learnerToBytes(learner));
  const dir = tempDir("node-entry-learner");
  await learner.save(dir);
  const fromDir = await node.Learner.load(dir);
  const next = learner.observe([0.5, 0.5], 0.3);
  assert.deepEqual(fromBytes.observe([0.5, 0.5], 0.3), next, "from bytes, it continues exactly");
  assert.deepEqual(fromDir.observe([0.5, 0.5], 0.3), next, "from the folder, too");
});

test("a learner served through homeostat/node learns, checkpoints and resumes", async () => {
  const dir = tempDir("node-entry");
  const service = await node.serve(node.Learner.create({ task: "regression", seed: 3, hidden: [4] }), {
    dir,
    port: 0,
  });
  const rows = Array.from({ length: 30 }, (_, i) => ({ x: [i / 10, (i % 4) / 3], y: i / 15 }));
  const res = await fetch(`${service.url}/observe`, { method: "POST", body: JSON.stringify(rows) });
  assert.deepEqual((await res.json()).seq, 30);
  await service.close();
  const again = await node.DurableLearner.resume(dir);
  assert.equal(again.lastSeq, 30);
  assert.equal(again.learner.vitals().rows, 30);
  await again.close();
  const replayed = await node.replayLearner(dir, { from: 0, to: 30 });
  assert.deepEqual(
    { ...replayed.learner.getState(), seconds: 0 },
    { ...again.learner.getState(), seconds: 0 },
  );
});
