import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeModel } from "../src/io/model.js";
import { CNN_DEMO_CONFIG, MNIST_DEMO_CONFIG } from "../src/cli/main.js";
import { tempDir } from "./helpers/tmp.js";
import { blobsCsv } from "./helpers/csv.js";

const BIN = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
const dir = tempDir("cli");

function run(
  args: string[],
  input?: string,
): { code: number; stdout: string; stderr: string; json: Record<string, any> | null } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: "utf8",
    input,
    timeout: 120_000,
  });
  const lines = r.stdout.trim().split("\n");
  let json: Record<string, any> | null = null;
  try {
    json = JSON.parse(lines[lines.length - 1]);
  } catch {
    json = null;
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

function write(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const config = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    seed: 1,
    data: { format: "csv", path: "blobs.csv", target: "label", normalize: "standardize" },
    model: {
      layers: [
        { type: "dense", units: 8, activation: "relu" },
        { type: "dense", units: 3, activation: "softmax" },
      ],
    },
    loss: "crossEntropy",
    optimizer: { type: "adam", lr: 0.05 },
    epochs: 20,
    batchSize: 16,
    out: "blobs.hmst",
    ...over,
  });

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
  const weights = (f: string) =>
    decodeModel(readFileSync(join(dir, f)))
      .model.parameters()
      .map(([, w]) => Array.from(w.data));
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

/** Each bad input: exit code 2, a message naming where and what, no stack trace, no model written. */
function expectRefusal(args: string[], pattern: RegExp, input?: string): void {
  const r = run(args, input);
  assert.equal(r.code, 2, `exit code for ${args.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

test("bad run configs are refused, naming the file and field", () => {
  write("blobs.csv", blobsCsv(60));
  write("unknown-key.json", config({ epohcs: 3 }));
  expectRefusal(
    ["train", "--config", "unknown-key.json", "--out", "never.hmst"],
    /unknown-key\.json: epohcs: unknown key/,
  );
  write("wrong-type.json", config({ optimizer: { type: "adam", lr: "fast" } }));
  expectRefusal(
    ["train", "--config", "wrong-type.json"],
    /wrong-type\.json: optimizer\.lr: expected a (finite )?number/,
  );
  write(
    "bad-layer.json",
    config({ model: { layers: [{ type: "dense", units: 3, activation: "softmaxx" }] } }),
  );
  expectRefusal(["train", "--config", "bad-layer.json"], /model\.layers\[0\]\.activation/);
  write("not-json.json", '{\n  "seed": 1,\n  oops\n}');
  expectRefusal(["train", "--config", "not-json.json"], /not-json\.json:3: not valid JSON/);
  write("units.json", config({ model: { layers: [{ type: "dense", units: 4, activation: "softmax" }] } }));
  expectRefusal(["train", "--config", "units.json"], /model\.layers\[0\].*4 outputs.*3 classes/);
  write("regulator.json", config({ homeostasis: [{ type: "continualBackprop" }, { type: "sleep" }] }));
  expectRefusal(["train", "--config", "regulator.json"], /regulator\.json: homeostasis\[1\]\.type/);
  assert.ok(!existsSync(join(dir, "never.hmst")));
  expectRefusal(["train"], /needs --config/);
  expectRefusal(["train", "--config", "run.json", "--bogus"], /bogus/);
  expectRefusal(["frobnicate"], /unknown command/);
});

test("bad CSV files are refused, naming file, line and column", () => {
  const cfg = (path: string) => {
    write(`${path}.json`, config({ data: { format: "csv", path, target: "label" } }));
    return ["train", "--config", `${path}.json`];
  };
  write("nonnum.csv", "x1,x2,label\n1,2,red\n3,abc,blue\n");
  expectRefusal(cfg("nonnum.csv"), /nonnum\.csv:3.*x2.*expected a number.*abc/);
  write("ragged.csv", "x1,x2,label\n1,2,red\n3,blue\n");
  expectRefusal(cfg("ragged.csv"), /ragged\.csv:3.*2 fields.*3/);
  write("notarget.csv", "x1,x2,colour\n1,2,red\n");
  expectRefusal(cfg("notarget.csv"), /notarget\.csv.*label/);
  write("empty.csv", "");
  expectRefusal(cfg("empty.csv"), /empty\.csv.*empty/i);
});

function idx(type: number, dims: number[], body: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const dv = new DataView(head.buffer);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

test("bad IDX files are refused: bad magic, a header claiming more than the file holds, mismatched counts", () => {
  const images = idx(0x08, [3, 2, 2], new Uint8Array(12).fill(7));
  const labels = idx(0x08, [3], new Uint8Array([0, 1, 2]));
  write("img.idx", images);
  write("lab.idx", labels);
  const cfg = (img: string, lab: string) => {
    write(
      `idx-${img}.json`,
      config({
        data: { format: "idx", images: img, labels: lab },
        model: { layers: [{ type: "dense", units: 3, activation: "softmax" }] },
      }),
    );
    return ["train", "--config", `idx-${img}.json`];
  };
  const bad = images.slice();
  bad[0] = 0x1f;
  bad[1] = 0x00;
  write("magic.idx", bad);
  expectRefusal(cfg("magic.idx", "lab.idx"), /magic\.idx.*magic/i);
  write("huge.idx", idx(0x08, [1_000_000, 1_000_000], new Uint8Array(16)));
  expectRefusal(cfg("huge.idx", "lab.idx"), /huge\.idx/);
  write("lab4.idx", idx(0x08, [4], new Uint8Array([0, 1, 2, 0])));
  expectRefusal(cfg("img.idx", "lab4.idx"), /3.*4|4.*3/);
});

test("damaged model files and wrong-width inputs are refused", () => {
  write("blobs.csv", blobsCsv(60));
  write("ok.json", config({ epochs: 2, out: "ok.hmst" }));
  assert.equal(run(["train", "--config", "ok.json", "--quiet"]).code, 0);
  const bytes = readFileSync(join(dir, "ok.hmst"));
  write("truncated.hmst", bytes.subarray(0, bytes.length - 10));
  expectRefusal(["eval", "--model", "truncated.hmst", "--config", "ok.json"], /truncated\.hmst/);
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length >> 1] ^= 0x10;
  write("flipped.hmst", flipped);
  expectRefusal(
    ["eval", "--model", "flipped.hmst", "--config", "ok.json"],
    /flipped\.hmst.*(checksum|corrupt)/,
  );
  const newer = Uint8Array.from(bytes);
  newer[4] = 2;
  write("newer.hmst", newer);
  expectRefusal(["eval", "--model", "newer.hmst", "--config", "ok.json"], /newer\.hmst.*newer Homeostat/);
  expectRefusal(["eval", "--model", "missing.hmst", "--data", "mnist"], /missing\.hmst/);
  write("wide.csv", "1,2,3\n");
  expectRefusal(
    ["predict", "--model", "ok.hmst", "--input", "wide.csv"],
    /wide\.csv:1: line 1 has 3 values, expected 2 \("x1", "x2"\)/,
  );
  expectRefusal(
    ["predict", "--model", "ok.hmst", "--input", "-"],
    /standard input: row 1 has 1 value, expected 2/,
    "[[1]]",
  );
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

test("an unwritable output location is reported before training, and an existing model survives a failed save", () => {
  write("blobs.csv", blobsCsv(60));
  write("blocker", "a file where a folder should be");
  write("blocked.json", config({ epochs: 1, out: "blocker/model.hmst" }));
  expectRefusal(
    ["train", "--config", "blocked.json"],
    /blocker.*cannot create the output folder.*(ENOTDIR|EEXIST)/,
  );
  // A model path that is a folder: the save fails at the rename, the folder (our "previous model") is untouched.
  write("good.json", config({ epochs: 1, out: "keep.hmst" }));
  assert.equal(run(["train", "--config", "good.json", "--quiet"]).code, 0);
  const before = readFileSync(join(dir, "keep.hmst"));
  write("to-dir.json", config({ epochs: 1, out: "." }));
  expectRefusal(["train", "--config", "to-dir.json"], /cannot write the file/);
  assert.deepEqual(readFileSync(join(dir, "keep.hmst")), before);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith(".tmp")),
    [],
    "no temporary file left behind",
  );
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
  const w = (f: string) =>
    decodeModel(readFileSync(join(dir, f)))
      .model.parameters()
      .map(([, t]) => Array.from(t.data));
  assert.deepEqual(w("from-onnx.hmst"), w("exp.hmst"));
  assert.deepEqual(w("from-tfjs.hmst"), w("exp.hmst"));
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
  const w = (f: string) =>
    decodeModel(readFileSync(join(dir, f)))
      .model.parameters()
      .map(([, t]) => Array.from(t.data));
  assert.notDeepEqual(w("homeo.hmst"), w("plain.hmst"));
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
