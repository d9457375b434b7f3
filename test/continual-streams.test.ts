import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import * as F from "../src/autograd/functional.js";
import {
  activeUnits,
  headAccuracy,
  headLoss,
  makeStream,
  parseContinualConfig,
  rotation,
  selectUnits,
} from "../src/continual/index.js";
import { type Dataset, oneHot } from "../src/data/dataset.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError, DataError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";

/** n rows of 4×4 "images" whose first pixel encodes the row, over k classes (row i has class i mod k). */
function tiny(n: number, k: number): Dataset {
  const x = new Float32Array(n * 16);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % k;
    for (let p = 0; p < 16; p++) x[i * 16 + p] = i * 100 + p;
  }
  return {
    x,
    y: oneHot(labels, k),
    n,
    inputDim: 16,
    outputDim: k,
    task: "classification",
    labels,
    classes: Array.from({ length: k }, (_, c) => `c${c}`),
  };
}

test("split stream: class pairs; labels by scenario (task/class keep the class, domain the position)", () => {
  const ds = tiny(40, 10);
  const cls = makeStream(ds, { kind: "split", tasks: 5, seed: 0, scenario: "class" });
  assert.equal(cls.outputDim, 10);
  assert.deepEqual(
    cls.tasks.map((t) => t.classes),
    [
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ],
  );
  assert.equal(cls.tasks[2].name, "c4/c5");
  assert.deepEqual([...cls.tasks[2].labels], [4, 5, 4, 5, 4, 5, 4, 5]);
  assert.deepEqual([...cls.unitTask], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  const dom = makeStream(ds, { kind: "split", tasks: 5, seed: 0, scenario: "domain" });
  assert.equal(dom.outputDim, 2);
  assert.deepEqual([...dom.tasks[2].labels], [0, 1, 0, 1, 0, 1, 0, 1]);
  assert.deepEqual([...dom.tasks[2].y.data.slice(0, 4)], [1, 0, 0, 1]);
  // Rows keep their pixels: task 2's first row is data row 4.
  assert.equal(dom.tasks[2].x.data[0], 400);
  assert.equal(
    makeStream(ds, { kind: "split", tasks: 5, seed: 0, scenario: "task", perTask: 3 }).tasks[0].labels.length,
    3,
  );
  assert.throws(
    () => makeStream(ds, { kind: "split", tasks: 6, seed: 0, scenario: "class" }),
    /at most 5 tasks/,
  );
});

test("permuted stream: one seeded permutation per task, the same for train and test, another for another seed", () => {
  const ds = tiny(6, 3);
  const a = makeStream(ds, { kind: "permuted", tasks: 3, seed: 7, scenario: "domain" });
  const again = makeStream(tiny(2, 3), { kind: "permuted", tasks: 3, seed: 7, scenario: "domain" });
  const other = makeStream(ds, { kind: "permuted", tasks: 3, seed: 8, scenario: "domain" });
  const row0 = (s: typeof a, t: number): number[] => [...s.tasks[t].x.data.slice(0, 16)];
  for (let t = 0; t < 3; t++) {
    assert.deepEqual(
      [...row0(a, t)].sort((p, q) => p - q),
      Array.from({ length: 16 }, (_, p) => p),
      "a permutation of the pixels",
    );
    assert.deepEqual(row0(a, t), row0(again, t), "same seed, same permutation");
  }
  assert.notDeepEqual(row0(a, 0), row0(a, 1));
  assert.notDeepEqual(row0(a, 0), row0(other, 0));
  assert.equal(a.outputDim, 3);
  assert.deepEqual([...a.tasks[1].labels], [0, 1, 2, 0, 1, 2]);
  const multi = makeStream(ds, { kind: "permuted", tasks: 3, seed: 7, scenario: "task" });
  assert.equal(multi.outputDim, 9);
  assert.deepEqual(multi.tasks[2].classes, [6, 7, 8]);
  assert.deepEqual([...multi.tasks[2].labels.slice(0, 3)], [6, 7, 8]);
});

test("rotation: 0° is the identity, 90° moves a pixel where a quarter turn should; non-square inputs refused", () => {
  const img = new Float32Array(16);
  img[1] = 1; // row 0, column 1
  assert.deepEqual([...rotation(16, 0)(img)], [...img]);
  const turned = rotation(16, 90)(img);
  const at = [...turned].findIndex((v) => Math.abs(v - 1) < 1e-5);
  // A quarter turn about the centre (1.5, 1.5), clockwise on screen (rows grow downwards):
  // offset (col −0.5, row −1.5), pointing up, becomes (col +1.5, row −0.5), pointing right: row 1, column 3.
  assert.equal(at, 1 * 4 + 3);
  assert.ok(Math.abs(turned.reduce((s, v) => s + v, 0) - 1) < 1e-5);
  const ds = tiny(4, 2);
  const rot = makeStream(ds, { kind: "rotated", tasks: 4, seed: 0, scenario: "domain" });
  assert.deepEqual(
    rot.tasks.map((t) => t.name),
    ["rot 0°", "rot 45°", "rot 90°", "rot 135°"],
  );
  assert.throws(() => rotation(15, 10), /square/);
  assert.throws(
    () => makeStream({ ...ds, task: "regression" }, { kind: "split", tasks: 1, seed: 0, scenario: "class" }),
    DataError,
  );
});

test("headLoss: task-incremental masks each row to its own task's units (value and gradient)", () => {
  const ds = tiny(8, 4);
  const stream = makeStream(ds, { kind: "split", tasks: 2, seed: 0, scenario: "task" });
  const z = new Tensor(Float32Array.from([1, 2, 3, 4, 0.5, -1, 2, 0]), [2, 4], true);
  const y = new Tensor(Float32Array.from([0, 1, 0, 0, 0, 0, 1, 0]), [2, 4]); // row 0: task 0 (units 0,1); row 1: task 1 (units 2,3)
  const loss = headLoss(stream, 1).fused!.fromLogits(z, y);
  const ce = (a: number, bb: number): number => Math.log(Math.exp(a) + Math.exp(bb)) - a;
  const expected = (ce(2, 1) + ce(2, 0)) / 2;
  assert.ok(Math.abs(loss.item() - expected) < 1e-6, `${loss.item()} vs ${expected}`);
  const [g] = grad(loss, [z]);
  assert.equal(g.data[2], 0);
  assert.equal(g.data[3], 0);
  assert.equal(g.data[4], 0);
  assert.equal(g.data[5], 0);
  // Class-incremental at stage 0: units 0 and 1 only, for every row.
  const cls = makeStream(ds, { kind: "split", tasks: 2, seed: 0, scenario: "class" });
  const y0 = new Tensor(Float32Array.from([0, 1, 0, 0]), [1, 4]);
  const z0 = new Tensor(Float32Array.from([1, 2, 30, 40]), [1, 4]);
  assert.ok(Math.abs(headLoss(cls, 0).fused!.fromLogits(z0, y0).item() - ce(2, 1)) < 1e-6);
  assert.deepEqual(
    activeUnits(cls, 0, cls.tasks[1]),
    [0, 1, 2, 3],
    "an untrained task is judged among the seen classes and its own",
  );
  assert.deepEqual(activeUnits(stream, 1, stream.tasks[0]), [0, 1]);
});

test("headAccuracy counts a row right only among the active units; selectUnits picks columns", () => {
  const ds = tiny(8, 4);
  const stream = makeStream(ds, { kind: "split", tasks: 2, seed: 0, scenario: "task" });
  const model = new Sequential([new Dense(4, { activation: "softmax" })]).build(16, new Rng(0));
  // A model that always prefers unit 3, then 0: in task 0 (units 0/1) it says 0, in task 1 it says 3.
  const [w, bias] = model.parameters().map(([, t]) => t);
  w.data.fill(0);
  bias.data.set([2, 1, 0, 5]);
  assert.equal(headAccuracy(model, stream, 1, stream.tasks[0]), 0.5); // labels 0,1,0,1 → half right
  assert.equal(headAccuracy(model, stream, 1, stream.tasks[1]), 0.5); // labels 2,3,2,3
  const picked = selectUnits(new Tensor(Float32Array.from([1, 2, 3, 4]), [1, 4]), [3, 1]);
  assert.deepEqual([...picked.data], [4, 2]);
  assert.ok(Math.abs(F.softmax(picked).data[0] - 1 / (1 + Math.exp(-2))) < 1e-6);
});

test("parseContinualConfig: defaults, strategy hyper-parameters, unknown keys and bad values name the field", () => {
  const cfg = parseContinualConfig({ strategy: "naive" });
  assert.equal(cfg.stream, "split");
  assert.equal(cfg.scenario, "class");
  assert.equal(cfg.tasks, 5);
  assert.equal(cfg.epochs, 5);
  assert.equal(cfg.batchSize, 64);
  assert.equal(cfg.optimizer.type, "adam");
  assert.equal(cfg.layers.length, 2);
  assert.equal(parseContinualConfig({ stream: "permuted", strategy: "naive" }).tasks, 10);
  const ewcCfg = parseContinualConfig({ strategy: { type: "ewc", lambda: 5, fisherSamples: 10 } });
  assert.deepEqual(ewcCfg.strategy, {
    type: "ewc",
    options: { lambda: 5, fisherSamples: 10, expectedFisher: 0 },
  });
  const bad: [unknown, RegExp][] = [
    [{ strategy: "naive", epoch: 3 }, /continual\.epoch: unknown key/],
    [{}, /continual\.strategy: missing/],
    [{ strategy: { type: "ewc", lamda: 1 } }, /continual\.strategy\.lamda: unknown key/],
    [{ strategy: { type: "ewc", lambda: -1 } }, /continual\.strategy\.lambda: must be ≥ 0, got -1/],
    [
      { strategy: { type: "elastic" } },
      /continual\.strategy\.type: unknown strategy string "elastic"; expected one of/,
    ],
    [{ strategy: "naive", scenario: "tasks" }, /continual\.scenario/],
    [{ strategy: "ewc", taskFree: true }, /needs task boundaries/],
    [{ strategy: "replay", taskFree: true, scenario: "task" }, /cannot be task-incremental/],
    [
      { strategy: "naive", model: { layers: [{ type: "dense" }] } },
      /continual\.model\.layers\[0\]\.units: required; expected an integer/,
    ],
    [{ strategy: "naive", optimizer: { type: "adam", lr: -1 } }, /continual\.optimizer\.lr/],
    [{ strategy: "naive", tasks: 7 }, /at most 5 tasks/],
  ];
  for (const [raw, message] of bad)
    assert.throws(
      () => parseContinualConfig(raw),
      (e: Error) => e instanceof ConfigError && message.test(e.message),
      JSON.stringify(raw),
    );
  assert.throws(
    () => parseContinualConfig({ strategy: "naive", seed: 1.5 }, "run.continual"),
    /run\.continual\.seed/,
  );
});
