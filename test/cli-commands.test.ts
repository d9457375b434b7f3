/**
 * The CLI's commands end to end, each in its own process: demo, train → eval → predict, where a run
 * writes, export and import, health and homeostasis in a run, continual, bench's usage.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { CNN_DEMO_CONFIG, MNIST_DEMO_CONFIG } from "../src/cli/main.js";
import { blobsCsv } from "./helpers/csv.js";
import { BIN, cliSandbox, blobsConfig as config } from "./helpers/cli-sandbox.js";

const { dir, run, write, expectRefusal, weights } = cliSandbox("cli");

test("demo seed fits the article's regression and tells the truth about its collinear data", () => {
  const r = run(["demo", "seed", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const j = r.json!;
  assert.ok(j.mse < 1e-6, `mse ${j.mse}`);
  assert.equal(j.collinear, true);
  assert.ok(Math.abs(j.identifiable["w1+w2"] - 3) < 1e-3 && Math.abs(j.identifiable["w2+b"] - 5) < 1e-3);
  assert.ok(Math.abs(j.weights[0] + j.weights[1] - 3) < 1e-3);
  assert.ok(j.sigmoidVariant.mse >= 143.5 - 1e-3);
  const human = run(["demo", "seed"]);
  assert.match(human.stdout, /not identifiable/i);
  assert.match(human.stdout, /sigmoid/);
});

test("train → eval → predict on a CSV: eval reproduces the test accuracy exactly", () => {
  write("blobs.csv", blobsCsv(150));
  write("run.json", config());
  const t = run(["train", "--config", "run.json", "--json"]);
  assert.equal(t.code, 0, t.stderr);
  assert.ok(t.json!.test.accuracy > 0.9, JSON.stringify(t.json));
  for (const key of ["samplesPerSecond", "wallSeconds", "model"]) assert.ok(key in t.json!, key);
  assert.ok(existsSync(join(dir, "blobs.hmst")));
  const e = run(["eval", "--model", "blobs.hmst", "--config", "run.json", "--json"]);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(e.json!.test.accuracy, t.json!.test.accuracy);
  assert.equal(e.json!.test.loss, t.json!.test.loss);
  assert.equal(e.json!.backend, t.json!.backend);
  // Without flags eval runs where training ran (auto here); --backend chooses, and a wrong one is a usage error.
  const onJs = run([
    "eval",
    "--model",
    "blobs.hmst",
    "--config",
    "run.json",
    "--json",
    "--backend",
    "js",
    "--threads",
    "1",
  ]);
  assert.equal(onJs.code, 0, onJs.stderr);
  assert.equal(onJs.json!.backend, "js");
  assert.equal(onJs.json!.test.accuracy, t.json!.test.accuracy);
  assert.ok(
    Math.abs(onJs.json!.test.loss - t.json!.test.loss) <= 1e-3 * t.json!.test.loss,
    `loss on js ${onJs.json!.test.loss}`,
  );
  const bad = run(["eval", "--model", "blobs.hmst", "--config", "run.json", "--backend", "gpu"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--backend: expected auto, js or wasm, got "gpu"/);
  write("rows.csv", "x1,x2\n0.1,0.0\n6.0,0.1\n");
  const p = run(["predict", "--model", "blobs.hmst", "--input", "rows.csv", "--json"]);
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(
    p.json!.predictions.map((q: { label: string }) => q.label),
    ["red", "blue"],
  );
  const pJs = run(["predict", "--model", "blobs.hmst", "--input", "rows.csv", "--json", "--backend", "js"]);
  assert.equal(pJs.code, 0, pJs.stderr);
  assert.equal(pJs.json!.backend, "js");
  assert.equal(p.json!.backend, t.json!.backend);
  assert.deepEqual(
    pJs.json!.predictions.map((q: { label: string }) => q.label),
    ["red", "blue"],
  );
  const again = run(["train", "--config", "run.json", "--json", "--out", "again.hmst"]);
  assert.deepEqual(
    weights("again.hmst"),
    weights("blobs.hmst"),
    "same seed and config, bit-identical weights",
  );
  assert.equal(again.json!.test.loss, t.json!.test.loss, "same seed and config, same result");
});

test("demo mnist (one epoch) trains, saves, and eval reproduces its accuracy", () => {
  const t = run(["demo", "mnist", "--epochs", "1", "--json", "--out", "mnist.hmst"]);
  assert.equal(t.code, 0, t.stderr);
  assert.ok(t.json!.test.accuracy > 0.85, `accuracy ${t.json!.test.accuracy}`);
  assert.equal(t.json!.test.samples, 2000);
  const e = run(["eval", "--model", "mnist.hmst", "--data", "mnist", "--json"]);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(e.json!.test.accuracy, t.json!.test.accuracy);
});

for (const [name, config] of [
  ["mnist", MNIST_DEMO_CONFIG],
  ["cnn", CNN_DEMO_CONFIG],
] as const)
  test(`examples/${name}.json is the run behind \`homeostat demo ${name}\``, () => {
    const repo = fileURLToPath(new URL("../../", import.meta.url));
    const example = JSON.parse(readFileSync(join(repo, "examples", `${name}.json`), "utf8"));
    const { description: _d, out: _o, ...rest } = example;
    const { out: _o2, ...demo } = config;
    assert.deepEqual(rest, demo);
  });

test("without out, a run writes into runs/<config name>/ under the working directory; a resume from elsewhere keeps writing there", () => {
  write("blobs.csv", blobsCsv(90));
  mkdirSync(join(dir, "configs"), { recursive: true });
  write(
    "configs/placed.json",
    config({
      data: { format: "csv", path: "../blobs.csv", target: "label" },
      epochs: 2,
      out: undefined,
      checkpoint: { every: 5 },
    }),
  );
  const t = run(["train", "--config", "configs/placed.json", "--json"]);
  assert.equal(t.code, 0, t.stderr);
  const runDir = join(dir, "runs", "placed");
  assert.equal(t.json!.model, join(runDir, "model.hmst"));
  assert.equal(t.json!.record, join(runDir, "model.record.json"));
  assert.ok(existsSync(t.json!.model) && existsSync(t.json!.record));
  assert.ok(
    readdirSync(join(runDir, "checkpoints")).some((f) => f.endsWith(".ckpt")),
    "checkpoints in runs/placed/checkpoints",
  );
  assert.deepEqual(readdirSync(join(dir, "configs")), ["placed.json"], "nothing beside the config");
  // The checkpoint remembers where the run writes, whatever the working directory of the resume.
  const r = spawnSync(process.execPath, [BIN, "train", "--resume", "../runs/placed/checkpoints", "--json"], {
    cwd: join(dir, "configs"),
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.trim().split("\n").pop()!).model, join(runDir, "model.hmst"));
  assert.deepEqual(readdirSync(join(dir, "configs")), ["placed.json"]);
});

test("export to ONNX and TF.js and import back: the same predictions; bad formats are usage errors", () => {
  write("blobs.csv", blobsCsv(90));
  write("exp.json", config({ epochs: 5, out: "exp.hmst" }));
  assert.equal(run(["train", "--config", "exp.json", "--quiet"]).code, 0);
  const onnx = run(["export", "--model", "exp.hmst", "--format", "onnx", "--out", "exp.onnx", "--json"]);
  assert.equal(onnx.code, 0, onnx.stderr);
  assert.equal(onnx.json!.inputNormalization, "standardize");
  assert.equal(
    run(["export", "--model", "exp.hmst", "--format", "tfjs", "--out", "exp-tfjs", "--quiet"]).code,
    0,
  );
  assert.ok(
    existsSync(join(dir, "exp-tfjs", "model.json")) && existsSync(join(dir, "exp-tfjs", "weights.bin")),
  );
  assert.equal(
    run(["import", "--format", "onnx", "--in", "exp.onnx", "--out", "from-onnx.hmst", "--quiet"]).code,
    0,
  );
  assert.equal(
    run(["import", "--format", "tfjs", "--in", "exp-tfjs", "--out", "from-tfjs.hmst", "--quiet"]).code,
    0,
  );
  assert.deepEqual(weights("from-onnx.hmst"), weights("exp.hmst"));
  assert.deepEqual(weights("from-tfjs.hmst"), weights("exp.hmst"));
  expectRefusal(
    ["export", "--model", "exp.hmst", "--format", "keras", "--out", "x"],
    /--format: expected onnx, tfjs or safetensors/,
  );
  write("garbage.onnx", "not a protobuf at all, just text");
  expectRefusal(["import", "--format", "onnx", "--in", "garbage.onnx", "--out", "g.hmst"], /garbage\.onnx/);
  assert.ok(!existsSync(join(dir, "g.hmst")));
});

test("the health monitor is on in the CLI: a run with a wild learning rate is repaired and its events are in --json", () => {
  write("blobs.csv", blobsCsv(150));
  write("wild.json", config({ optimizer: { type: "sgd", lr: 50 }, epochs: 10, out: "wild.hmst" }));
  const r = run(["train", "--config", "wild.json", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const events = r.json!.health.events as {
    kind: string;
    step: number;
    repaired: boolean;
    diagnosis: string;
  }[];
  assert.ok(
    events.some((e) => e.kind === "explodingGradients" && e.repaired),
    JSON.stringify(events.map((e) => e.kind)),
  );
  assert.ok(r.json!.test.accuracy > 0.9, `repaired run reaches ${r.json!.test.accuracy}`);
  write("calm.json", config({ out: "calm.hmst" }));
  assert.deepEqual(
    run(["train", "--config", "calm.json", "--json"]).json!.health.events,
    [],
    "no events on a healthy run",
  );
  write("mse.json", config({ loss: "mse", out: "mse.hmst" }));
  const m = run(["train", "--config", "mse.json"]);
  assert.match(m.stdout, /lossMismatch.*crossEntropy/);
});

test("homeostat continual prints R and the measures, and --json carries them", () => {
  write(
    "cl.json",
    JSON.stringify({
      continual: {
        stream: "split",
        scenario: "domain",
        tasks: 3,
        strategy: "naive",
        epochs: 1,
        trainPerTask: 200,
        testPerTask: 100,
        seed: 1,
      },
    }),
  );
  const r = run(["continual", "--config", "cl.json", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const c = r.json!.continual;
  assert.equal(c.R.length, 3);
  for (const key of ["ACC", "BWT", "FWT", "forgetting"]) assert.ok(key in c, key);
  assert.ok(Math.abs(c.ACC - c.R[2].reduce((s: number, v: number) => s + v, 0) / 3) < 1e-12);
  write(
    "cl-bad.json",
    JSON.stringify({ continual: { stream: "split", strategy: { type: "ewc", lamda: 3 } } }),
  );
  expectRefusal(["continual", "--config", "cl-bad.json"], /cl-bad\.json: continual\.strategy\.lamda/);
});

test("homeostatic regulators act in a training run (homeostasis in the run config) and it still learns", () => {
  write("blobs.csv", blobsCsv(150));
  write(
    "homeo.json",
    config({
      homeostasis: [
        { type: "redo", every: 20 },
        { type: "continualBackprop", replacementRate: 0.01, maturity: 10 },
        "intrinsicPlasticity",
      ],
      out: "homeo.hmst",
    }),
  );
  const r = run(["train", "--config", "homeo.json", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.json!.test.accuracy > 0.9, JSON.stringify(r.json!.test));
  // The regulators changed the run: the same config without them ends with other weights.
  write("plain.json", config({ out: "plain.hmst" }));
  assert.equal(run(["train", "--config", "plain.json", "--quiet"]).code, 0);
  assert.notDeepEqual(weights("homeo.hmst"), weights("plain.hmst"));
});

test("homeostat bench: --help prints its usage (exit 0); a bad flag or workload is a usage error (exit 2) that writes nothing", () => {
  const help = run(["bench", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /usage: homeostat bench \[--quick\]/);
  for (const args of [
    ["bench", "--bogus"],
    ["bench", "--only", "resnet"],
  ]) {
    const r = run([...args, "--out", "never.json"]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^bench: (Unknown option '--bogus'|--only expects train, gemm, conv or cnn, got "resnet")/,
    );
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, "no stack trace");
    assert.ok(!existsSync(join(dir, "never.json")));
  }
  assert.match(run(["--help"]).stdout, /homeostat bench \[--quick\]/);
});
