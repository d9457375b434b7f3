/**
 * makeStream's refusals (message and field), labels read from soft targets, the lazy tasks' cache, and
 * rotation's bilinear sampling against a float64 sampler written here, at angles that fall between pixels.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeStream, rotation, type StreamOptions } from "../src/continual/index.js";
import { type Dataset, oneHot } from "../src/data/dataset.js";
import { ConfigError, DataError, type HomeostatError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

/** n rows of 16 features (pixel p of row i is i·100 + p), row i of class i mod k, labels given. */
function tiny(n: number, k: number): Dataset {
  const x = new Float32Array(n * 16);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % k;
    for (let p = 0; p < 16; p++) x[i * 16 + p] = i * 100 + p;
  }
  return { x, y: oneHot(labels, k), n, inputDim: 16, outputDim: k, task: "classification", labels };
}

const refused = (opts: Partial<StreamOptions>, kind: typeof ConfigError, field: string, message: RegExp) =>
  assert.throws(
    () => makeStream(tiny(8, 4), { kind: "split", tasks: 2, seed: 0, scenario: "class", ...opts }),
    (e: HomeostatError) => e instanceof kind && e.location.field === field && message.test(e.message),
  );

test("makeStream refuses an unknown kind or scenario, a task count that is not a positive integer, each naming its field", () => {
  refused(
    { kind: "spiral" as never },
    ConfigError,
    "stream",
    /^stream: expected one of permuted, split, rotated, got "spiral"$/,
  );
  refused(
    { scenario: "online" as never },
    ConfigError,
    "scenario",
    /^scenario: expected one of task, domain, class, got "online"$/,
  );
  for (const tasks of [0, -1, 1.5])
    refused(
      { tasks },
      ConfigError,
      "tasks",
      new RegExp(`^tasks: expected a positive integer, got ${tasks}$`),
    );
  refused(
    { tasks: 3 },
    ConfigError,
    "tasks",
    /^tasks: a split stream of 4 classes has at most 2 tasks of two classes, got 3$/,
  );
  assert.throws(
    () =>
      makeStream(
        { ...tiny(4, 2), task: "regression" },
        { kind: "permuted", tasks: 1, seed: 0, scenario: "domain" },
      ),
    (e: Error) =>
      e instanceof DataError && /^makeStream: task streams need a classification data set/.test(e.message),
  );
  // Every kind and scenario named in the refusals is accepted.
  for (const kind of ["permuted", "split", "rotated"] as const)
    for (const scenario of ["task", "domain", "class"] as const)
      assert.equal(makeStream(tiny(8, 4), { kind, tasks: 2, seed: 0, scenario }).tasks.length, 2);
});

test("without labels a row's class is the arg-max of its targets, the first on ties", () => {
  // Row 0's maximum is in its middle column; row 1 ties its first two columns; row 2's maximum is last.
  const y = Float32Array.from([0.1, 0.7, 0.2, 0.9, 0.9, 0, 0, 0.2, 0.9, 0.3, 0.3, 0.4]);
  const ds: Dataset = {
    x: new Float32Array(4 * 16),
    y,
    n: 4,
    inputDim: 16,
    outputDim: 3,
    task: "classification",
  };
  const s = makeStream(ds, { kind: "permuted", tasks: 2, seed: 0, scenario: "task" });
  assert.deepEqual([...s.tasks[0].labels], [1, 0, 2, 2]);
  assert.deepEqual([...s.tasks[1].labels], [4, 3, 5, 5]);
});

test("transformed streams: perTask keeps the first rows, never more than there are; units and names per task", () => {
  const ds = tiny(6, 3);
  const few = makeStream(ds, { kind: "permuted", tasks: 3, seed: 1, scenario: "task", perTask: 2 });
  assert.deepEqual([...few.tasks[1].labels], [3, 4]);
  assert.deepEqual(
    few.tasks.map((t) => t.name),
    ["perm 1", "perm 2", "perm 3"],
  );
  assert.deepEqual([...few.unitTask], [0, 0, 0, 1, 1, 1, 2, 2, 2]);
  // The lazy task's targets: one-hot rows over the stream's 9 units.
  assert.deepEqual([...few.tasks[1].y.data], [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual(few.tasks[1].y.shape, [2, 9]);
  const all = makeStream(ds, { kind: "rotated", tasks: 2, seed: 1, scenario: "domain", perTask: 100 });
  assert.equal(all.tasks[0].labels.length, 6);
  assert.deepEqual([...all.unitTask], [-1, -1, -1], "domain units belong to no task");
  const split = makeStream(tiny(8, 4), { kind: "split", tasks: 2, seed: 0, scenario: "domain" });
  assert.deepEqual([...split.unitTask], [-1, -1]);
});

test("lazy tasks: every task of a stream of up to 20 is kept once built; longer streams keep the 4 most recently read", () => {
  const ds = tiny(3, 3);
  const stream = (tasks: number) => makeStream(ds, { kind: "permuted", tasks, seed: 2, scenario: "domain" });
  /** Read tasks in order; then which of `again` come back as the very object built before (cached). */
  const kept = (tasks: number, order: number[], again: number[]): boolean[] => {
    const s = stream(tasks);
    const first = new Map(order.map((t) => [t, s.tasks[t].x]));
    return again.map((t) => s.tasks[t].x === first.get(t));
  };
  const upTo = (n: number) => Array.from({ length: n }, (_, t) => t);
  assert.deepEqual(kept(2, [0, 1], [0, 1]), [true, true], "at least 4 slots");
  assert.deepEqual(kept(6, upTo(6), [0, 5]), [true, true], "6 tasks, 6 slots");
  assert.deepEqual(kept(20, upTo(20), [0, 19]), [true, true], "20 tasks, 20 slots");
  // 21 tasks: 4 slots; reading task 0 again makes it the most recent, so task 1 is the one evicted by 4.
  assert.deepEqual(kept(21, [0, 1, 2, 3], [0, 3]), [true, true]);
  const s = stream(21);
  const x0 = s.tasks[0].x;
  const x1 = s.tasks[1].x;
  for (const t of [2, 3]) void s.tasks[t].x;
  assert.equal(s.tasks[0].x, x0, "task 0 read again: now the most recent");
  void s.tasks[4].x; // evicts task 1, the least recently read
  assert.equal(s.tasks[0].x, x0);
  assert.notEqual(s.tasks[1].x, x1, "task 1 rebuilt");
  assert.deepEqual([...s.tasks[1].x.data], [...x1.data], "rebuilt the same");
});

/** Bilinear sampling of a side×side image at (x, y) = (column, row), zero outside, in float64. */
function sample(img: Float32Array, side: number, x: number, y: number): number {
  const pixel = (col: number, row: number): number =>
    col < 0 || row < 0 || col >= side || row >= side ? 0 : img[row * side + col];
  const col = Math.floor(x);
  const row = Math.floor(y);
  const a = x - col;
  const b = y - row;
  let v = 0;
  // Only corners with any weight are read, so a NaN pixel spreads to the outputs that sample it.
  for (const [dc, dr, w] of [
    [0, 0, (1 - a) * (1 - b)],
    [1, 0, a * (1 - b)],
    [0, 1, (1 - a) * b],
    [1, 1, a * b],
  ]) {
    if (col + dc >= 0 && row + dr >= 0 && col + dc < side && row + dr < side)
      v += w * pixel(col + dc, row + dr);
  }
  return v;
}

/** Output pixel (row r, column q) reads the input at the point turned back by `degrees` about the centre. */
function rotateReference(img: Float32Array, side: number, degrees: number): number[] {
  const t = (degrees * Math.PI) / 180;
  const c = (side - 1) / 2;
  const out: number[] = [];
  for (let r = 0; r < side; r++)
    for (let q = 0; q < side; q++) {
      const [dx, dy] = [q - c, r - c];
      out.push(
        sample(img, side, c + Math.cos(t) * dx + Math.sin(t) * dy, c - Math.sin(t) * dx + Math.cos(t) * dy),
      );
    }
  return out;
}

test("rotation between pixels: every output pixel is the bilinear mix of its four inputs, zero outside (5×5, 4×4)", () => {
  const rng = new Rng(5);
  for (const [side, degrees] of [
    [5, 30],
    [5, 200],
    [4, 17],
    [4, -100],
  ]) {
    const img = Float32Array.from({ length: side * side }, () => rng.uniform(0.5, 1.5));
    const got = rotation(side * side, degrees)(img);
    const want = rotateReference(img, side, degrees);
    got.forEach((v, p) =>
      assert.ok(
        Math.abs(v - want[p]) < 1e-5,
        `${side}×${side} at ${degrees}°, pixel ${p}: ${v} vs ${want[p]}`,
      ),
    );
    // A NaN in the first pixels reaches exactly the outputs that sample it.
    for (const bad of [0, 1]) {
      const spoiled = Float32Array.from(img);
      spoiled[bad] = Number.NaN;
      const nanGot = [...rotation(side * side, degrees)(spoiled)].map(Number.isNaN);
      assert.deepEqual(
        nanGot,
        rotateReference(spoiled, side, degrees).map(Number.isNaN),
        `NaN at pixel ${bad}`,
      );
    }
  }
});

test("a split stream says its kind; its tasks are named by their classes, joined by '/' (the data set's class names where it has them)", () => {
  const plain = makeStream(tiny(8, 4), { kind: "split", tasks: 2, seed: 0, scenario: "class" });
  assert.equal(plain.kind, "split");
  assert.deepEqual(
    plain.tasks.map((t) => t.name),
    ["0/1", "2/3"],
  );
  const named = makeStream(
    { ...tiny(8, 4), classes: ["cat", "dog", "fox", "owl"] },
    { kind: "split", tasks: 2, seed: 0, scenario: "class" },
  );
  assert.deepEqual(
    named.tasks.map((t) => t.name),
    ["cat/dog", "fox/owl"],
  );
});

test("rotation refuses images that are not square, naming the stream field", () => {
  assert.throws(
    () => rotation(15, 30),
    (e: HomeostatError) =>
      e instanceof ConfigError &&
      e.location.field === "stream" &&
      e.message === "stream: a rotated stream needs square images; 15 features is not a square",
  );
});

test("the arg-max of soft targets compares each column with the row's best so far, not another row's", () => {
  // Row 1: 0.5 at column 1 beats 0.4 at column 2; row 0 ends in 0.2, below both.
  const ds: Dataset = {
    x: new Float32Array(2 * 16),
    y: Float32Array.from([0, 0, 0.2, 0.1, 0.5, 0.4]),
    n: 2,
    inputDim: 16,
    outputDim: 3,
    task: "classification",
  };
  const s = makeStream(ds, { kind: "permuted", tasks: 1, seed: 0, scenario: "domain" });
  assert.deepEqual([...s.tasks[0].labels], [2, 1]);
});
