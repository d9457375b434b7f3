/**
 * Runs the homeostat CLI on prepared inputs in a fresh folder and says what it wrote there. Shared by
 * scripts/cli-cases.mjs (the before/after table of issue 14) and test/cli-files.test.ts (every file
 * argument × missing, folder, empty, unreadable: the matrix is in scripts/cli-file-matrix.mjs, the
 * fixtures it copies are made here by makeFixtures). Plain Node ESM with no dependencies and no import from
 * src/, so that it runs against any build: the caller passes the path of dist/src/cli/bin.js.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Permission bits do not stop root: as root, "unreadable" runs the CLI as nobody instead. */
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

export const IRIS_CSV = readFileSync(new URL("../examples/iris-like.csv", import.meta.url), "utf8");

/** A fresh folder under the system temp folder, writable by nobody too (for the unreadable cases). */
export function freshDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `homeostat-${prefix}-`));
  chmodSync(dir, 0o777);
  return dir;
}

/** Remove a folder made by freshDir, first giving back the permissions the cases took away. */
export function removeDir(dir) {
  if (!AS_ROOT) walk(dir, (p, isDir) => isDir && chmodSync(p, 0o755), true);
  rmSync(dir, { recursive: true, force: true });
}

function walk(dir, visit, before = false) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return; // a folder a case made unreadable (we are not root): nothing to list
  }
  for (const name of names) {
    const p = join(dir, name);
    const isDir = statSync(p).isDirectory();
    if (before) visit(p, isDir);
    if (isDir) walk(p, visit, before);
    if (!before) visit(p, isDir);
  }
}

/** Run the CLI in `cwd`; `asNobody` drops to user nobody when we are root (see AS_ROOT). */
export function runCli(bin, args, { cwd, input, asNobody = false, timeout = 120_000 } = {}) {
  const ids = asNobody && AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {};
  const r = spawnSync(process.execPath, [resolve(bin), ...args], {
    cwd,
    input,
    encoding: "utf8",
    timeout,
    ...ids,
  });
  return {
    code: r.status,
    signal: r.signal,
    timedOut: r.error?.code === "ETIMEDOUT",
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
  };
}

/** Every file and folder under `dir` with its size and modification time, to see what a run wrote. */
export function snapshot(dir) {
  const seen = new Map();
  walk(dir, (p, isDir) => {
    const s = statSync(p);
    seen.set(p.slice(dir.length + 1) + (isDir ? "/" : ""), isDir ? "" : `${s.size}:${s.mtimeMs}`);
  });
  return seen;
}

/** Paths new in `after`, and changed ones marked "(changed)". */
export function written(before, after) {
  const out = [];
  for (const [p, v] of after) {
    if (!before.has(p)) out.push(p);
    else if (before.get(p) !== v) out.push(`${p} (changed)`);
  }
  return out.sort();
}

/** The signs of a crash rather than a message: the catch-all's words or a stack frame. */
export function crashSigns(stderr) {
  const signs = [];
  if (/internal error/i.test(stderr)) signs.push("internal error");
  if (/\n\s+at .+[:(]\d+/.test(stderr)) signs.push("stack trace");
  return signs;
}

function writeJson(dir, name, value) {
  writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
}

/** The run config of the shared iris classifier: small and quick, but it learns the three species. */
export function irisConfig(over = {}) {
  return {
    seed: 0,
    data: { format: "csv", path: "iris.csv", target: "species", normalize: "standardize", testSplit: 0.2 },
    model: {
      layers: [
        { type: "dense", units: 16, activation: "tanh" },
        { type: "dense", units: 3, activation: "softmax" },
      ],
    },
    loss: "crossEntropy",
    optimizer: { type: "adam", lr: 0.01 },
    epochs: 30,
    batchSize: 8,
    out: "iris.hmst",
    ...over,
  };
}

/** IDX files of three 2×2 "images" (four features, like iris) and their labels 0, 1, 2. */
function idx(type, dims, body) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(body)]);
}

/**
 * The valid inputs every case starts from, made once in `dir`: the iris model, its run config, data and
 * run record, its ONNX and TF.js exports, a training checkpoint folder, IDX files, rows to predict and
 * a tiny continual run config. Throws with the CLI's stderr when a step fails.
 */
export function makeFixtures(bin, dir) {
  const step = (args) => {
    const r = runCli(bin, [...args, "--quiet"], { cwd: dir });
    if (r.code !== 0)
      throw new Error(`fixture step "homeostat ${args.join(" ")}" failed (exit ${r.code}):\n${r.stderr}`);
  };
  writeFileSync(join(dir, "iris.csv"), IRIS_CSV);
  writeJson(dir, "iris.json", irisConfig());
  step(["train", "--config", "iris.json"]);
  writeJson(
    dir,
    "ckpt.json",
    irisConfig({ epochs: 2, out: "ckpt.hmst", checkpoint: { every: 5, dir: "checkpoints" } }),
  );
  step(["train", "--config", "ckpt.json"]);
  step(["export", "--model", "iris.hmst", "--format", "onnx", "--out", "iris.onnx"]);
  step(["export", "--model", "iris.hmst", "--format", "tfjs", "--out", "iris-tfjs"]);
  writeFileSync(
    join(dir, "images.idx"),
    idx(
      0x08,
      [3, 2, 2],
      new Uint8Array(12).map((_, i) => 10 * i),
    ),
  );
  writeFileSync(join(dir, "labels.idx"), idx(0x08, [3], [0, 1, 2]));
  writeFileSync(
    join(dir, "rows.csv"),
    "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n",
  );
  writeJson(dir, "cl.json", {
    continual: {
      stream: "split",
      scenario: "domain",
      tasks: 2,
      strategy: "naive",
      epochs: 1,
      trainPerTask: 100,
      testPerTask: 50,
      seed: 1,
    },
  });
}
