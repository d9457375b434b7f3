/**
 * The CLI refuses bad input the way DESIGN.md promises: exit code 2, a message naming the file, line or
 * field, no stack trace, and nothing written (run configs, CSV and IDX files, model files, output paths).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { blobsCsv } from "./helpers/csv.js";
import { cliSandbox, blobsConfig as config } from "./helpers/cli-sandbox.js";

const { dir, run, write, expectRefusal } = cliSandbox("cli-refusals");

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
