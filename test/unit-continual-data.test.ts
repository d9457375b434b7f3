/**
 * What each strategy trains on and what LwF adds to the loss, against closed forms: LwF's distillation
 * (value and gradient by hand), the reservoir's sample (its exact distribution, every random draw
 * enumerated), replay's mixed batches, and the rows naive and joint training see at each task.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import {
  agem,
  distillation,
  joint,
  lwf,
  naive,
  replay,
  ReservoirBuffer,
  runStrategy,
  type Strategy,
  type TaskContext,
} from "../src/continual/index.js";
import { sgd } from "../src/optim/optimizers.js";
import type { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Batch, Observer, TrainingControl } from "../src/train/events.js";
import {
  assertArrays,
  contextAt,
  logitsOf,
  near,
  nudge,
  softmaxLayer,
  softmaxOver,
  type TinyTask,
  tinyStream,
  weightsOf,
  twoHeads,
} from "./helpers/continual.js";

/**
 * Hinton's distillation of one row over one head, by hand: T² · −Σ_c p_c log q_c with p = softmax(teacher/T),
 * q = softmax(student/T) over the head's units, and its gradient in the student's logits, T·(q − p) (the
 * T² times the 1/T of the chain rule).
 */
function distillByHand(
  student: readonly number[],
  teacher: readonly number[],
  units: readonly number[],
  t: number,
): { value: number; dz: number[] } {
  const [p, q] = [softmaxOver(teacher, units, t), softmaxOver(student, units, t)];
  const dz = new Array<number>(student.length).fill(0);
  units.forEach((u, i) => {
    dz[u] = t * (q[i] - p[i]);
  });
  return { value: -t * t * p.reduce((s, pc, i) => s + pc * Math.log(q[i]), 0), dz };
}

test("LwF distillation: T² Σ_heads mean_rows CE(softmax(teacher/T), softmax(student/T)), gradient T(q − p)/rows; units in no head get none", () => {
  const [student, teacher] = [
    [
      [0.3, -1, 2, 0.5, 4],
      [1.5, 0.2, -0.7, 0, -2],
    ],
    [
      [1, 0.4, -0.5, 2, 1],
      [-1, 0.8, 0.3, 0.3, 3],
    ],
  ];
  const heads = [
    [0, 1],
    [2, 3],
  ];
  const temperature = 3;
  const z = new Tensor(Float32Array.from(student.flat()), [2, 5], true);
  const d = distillation(z, new Tensor(Float32Array.from(teacher.flat()), [2, 5]), heads, temperature);
  const [g] = grad(d, [z]);
  let value = 0;
  const want = student.map((row, r) => {
    const dz = new Array<number>(5).fill(0);
    for (const h of heads) {
      const one = distillByHand(row, teacher[r], h, temperature);
      value += one.value / 2;
      one.dz.forEach((v, u) => {
        dz[u] += v / 2;
      });
    }
    return dz;
  });
  near(d.item(), value, 1e-5, "distillation");
  want.flat().forEach((v, i) => near(g.data[i], v, 1e-5, `∂/∂z[${i}]`));
  assert.equal(g.data[4], 0);
});

test("LwF: the teacher is the model frozen at each task's end; the term is λ·distillation on the batch over every earlier head", () => {
  const stream = tinyStream("task", 4, twoHeads);
  const model = softmaxLayer(2, 4, 6);
  const [lambda, temperature] = [0.7, 3];
  const strategy = lwf({ lambda, temperature });
  assert.equal(
    strategy.observer!(contextAt(model, stream, 0)),
    null,
    "nothing to distil before a task has ended",
  );
  const batch = stream.tasks[1];
  for (const t of [0, 1]) {
    nudge(model, 0.5);
    strategy.onTaskEnd!(contextAt(model, stream, t));
    const teacher = weightsOf(model);
    nudge(model, -0.3); // the teacher must not follow the student
    const student = weightsOf(model);
    const heads = stream.tasks.slice(0, t + 1).map((task) => task.classes);
    assert.deepEqual((strategy.getState!() as { heads: number[][] }).heads, heads);

    // By hand: λ/rows Σ_rows Σ_heads, and ∂/∂W[k][j] = Σ_rows ∂/∂z_k · x_j, ∂/∂b_k = Σ_rows ∂/∂z_k.
    const n = batch.x.shape[0];
    let value = 0;
    const gW = new Array<number>(8).fill(0),
      gB = new Array<number>(4).fill(0);
    for (let r = 0; r < n; r++) {
      const row = Array.from(batch.x.data.subarray(r * 2, r * 2 + 2));
      const zs = logitsOf(student.get("0.weight")!, student.get("0.bias")!, row);
      const zt = logitsOf(teacher.get("0.weight")!, teacher.get("0.bias")!, row);
      for (const h of heads) {
        const one = distillByHand(zs, zt, h, temperature);
        value += (lambda * one.value) / n;
        one.dz.forEach((v, k) => {
          gB[k] += (lambda * v) / n;
          row.forEach((xj, j) => {
            gW[k * 2 + j] += (lambda * v * xj) / n;
          });
        });
      }
    }
    const params = model.parameters();
    const logits = model.forwardLinear(batch.x);
    const term = strategy.observer!(contextAt(model, stream, 1))!.lossTerm!(
      { batch, logits, parameters: params, step: 0, epoch: 0 },
      {} as never,
    )!;
    near(term.item(), value, 1e-5, `term after task ${t}`);
    const grads = grad(
      term,
      params.map(([, p]) => p),
    );
    assertArrays(
      new Map(params.map(([name], i) => [name, grads[i].data])),
      new Map([
        ["0.weight", gW],
        ["0.bias", gB],
      ]),
      1e-4,
      `∇ term after task ${t}`,
    );
  }
});

test("LwF heads: one per earlier task (task-incremental), the classes seen so far (class), every unit (domain)", () => {
  const headsAfter = (scenario: "task" | "class" | "domain"): number[][][] => {
    const stream = tinyStream(scenario, 4, twoHeads);
    const strategy = lwf();
    return [0, 1].map((t) => {
      strategy.onTaskEnd!(contextAt(softmaxLayer(2, 4, 6), stream, t));
      return (strategy.getState!() as { heads: number[][] }).heads.map((h) => Array.from(h));
    });
  };
  assert.deepEqual(headsAfter("task"), [
    [[0, 1]],
    [
      [0, 1],
      [2, 3],
    ],
  ]);
  assert.deepEqual(headsAfter("class"), [[[0, 1]], [[0, 1, 2, 3]]]);
  assert.deepEqual(headsAfter("domain"), [[[0, 1, 2, 3]], [[0, 1, 2, 3]]]);
});

/**
 * Every outcome of `run` with its probability, `run` drawing only from `rng.int`: a walk over all
 * sequences of draws (an odometer over the draws each path makes), each path weighted Π 1/n.
 */
function everyOutcome<T>(run: (rng: Rng) => T): { p: number; outcome: T }[] {
  const out: { p: number; outcome: T }[] = [];
  let choices: number[] = [];
  for (;;) {
    const radices: number[] = [];
    const rng = {
      int: (n: number) => {
        radices.push(n);
        return choices[radices.length - 1] ?? 0;
      },
    } as unknown as Rng;
    out.push({ outcome: run(rng), p: radices.reduce((a, n) => a / n, 1) });
    let i = radices.length - 1;
    while (i >= 0 && (choices[i] ?? 0) + 1 >= radices[i]) i--;
    if (i < 0) return out;
    choices = [...Array.from({ length: i }, (_, k) => choices[k] ?? 0), (choices[i] ?? 0) + 1];
  }
}

/** Rows `ids` as a batch: x = [id], y = [id, −id] (so a row's x and y can be checked to have stayed together). */
const rowsOf = (ids: readonly number[]): Batch => ({
  x: new Tensor(Float32Array.from(ids), [ids.length, 1]),
  y: new Tensor(Float32Array.from(ids.flatMap((i) => [i, -i])), [ids.length, 2]),
});
const idsOf = (b: Batch): number[] => Array.from(b.x.data);
function assertPaired(b: Batch): void {
  idsOf(b).forEach((id, r) =>
    assert.deepEqual([b.y.data[2 * r], b.y.data[2 * r + 1]], [id, -id], `row ${r}: x and y of one row`),
  );
}

test("reservoir: after n rows offered to k slots, every k-subset is held with probability exactly 1/C(n, k) (each row k/n)", () => {
  const [k, n] = [3, 7];
  const held = (rng: Rng): string => {
    const buffer = new ReservoirBuffer(k, 1, 2, rng);
    buffer.offer(rowsOf([0, 1, 2, 3])); // two offers: the count of rows seen carries over
    buffer.offer(rowsOf([4, 5, 6]));
    assert.equal(buffer.size, k);
    assert.equal(buffer.offered, n);
    const stored = { x: new Tensor(buffer.x, [k, 1]), y: new Tensor(buffer.y, [k, 2]) };
    assertPaired(stored);
    return idsOf(stored).sort().join(",");
  };
  const bySubset = new Map<string, number>();
  for (const { p, outcome } of everyOutcome(held)) bySubset.set(outcome, (bySubset.get(outcome) ?? 0) + p);
  assert.equal(bySubset.size, 35, "every 3-subset of 7 rows can be held");
  for (const [subset, p] of bySubset) near(p, 1 / 35, 1e-12, `P(held = {${subset}})`);

  // Fewer rows than slots: all kept, in order, no draw made.
  const few = everyOutcome((rng) => {
    const buffer = new ReservoirBuffer(k, 1, 2, rng);
    buffer.offer(rowsOf([5, 9]));
    return [buffer.size, ...buffer.x.subarray(0, 2)];
  });
  assert.deepEqual(few, [{ p: 1, outcome: [2, 5, 9] }]);
});

test("reservoir sample: rows drawn uniformly with replacement from the rows held, not the empty slots", () => {
  const draws = [2, 0, 2, 1];
  const radices: number[] = [];
  const rng = {
    int: (n: number) => {
      radices.push(n);
      return draws[radices.length - 1];
    },
  } as unknown as Rng;
  const buffer = new ReservoirBuffer(5, 1, 2, rng);
  buffer.offer(rowsOf([10, 11, 12]));
  const picked = buffer.sample(4);
  assert.deepEqual(radices, [3, 3, 3, 3]);
  assert.deepEqual(idsOf(picked), [12, 10, 12, 11]);
  assertPaired(picked);
});

/** A replay observer over a rng that always draws the last of its n choices (so which rows are replayed is known). */
function replayObserver(options: { bufferSize: number; replayBatch?: number }): {
  observer: Observer;
  strategy: Strategy;
} {
  const last = { int: (n: number) => n - 1 } as unknown as Rng;
  const strategy = replay(options);
  const ctx = { stream: { inputDim: 1, outputDim: 2 }, rng: last, batchSize: 4 } as unknown as TaskContext;
  const observer = strategy.observer!(ctx)!;
  observer.onTrainBegin!({ step: 0 } as TrainingControl);
  return { observer, strategy };
}

test("replay batches: the batch, then replayBatch rows of the memory as it was before the batch; rows stored in the first epoch only", () => {
  const { observer, strategy } = replayObserver({ bufferSize: 10, replayBatch: 2 });
  const step = (ids: number[]): number[] => {
    const out = (observer.transformBatch!(rowsOf(ids), {} as TrainingControl) ?? rowsOf(ids)) as Batch;
    assertPaired(out);
    return idsOf(out);
  };
  const memory = () => strategy.getState!() as { size: number; offered: number };
  assert.deepEqual(step([0, 1, 2]), [0, 1, 2], "an empty memory adds nothing");
  assert.deepEqual([memory().size, memory().offered], [3, 3]);
  // The memory held rows 0..2 when the batch came: the last-slot draw picks row 2, not one of the batch's own.
  assert.deepEqual(step([3, 4, 5]), [3, 4, 5, 2, 2]);
  assert.equal(memory().offered, 6);
  observer.onEpochEnd!({} as never, {} as TrainingControl);
  assert.deepEqual(step([0, 3]), [0, 3, 5, 5], "a second epoch replays but stores nothing");
  assert.deepEqual([memory().size, memory().offered], [6, 6]);

  const byDefault = replayObserver({ bufferSize: 10 }).observer;
  byDefault.transformBatch!(rowsOf([0]), {} as TrainingControl);
  assert.equal(
    (byDefault.transformBatch!(rowsOf([1, 2]), {} as TrainingControl) as Batch).x.shape[0],
    2 + 4,
    "replayBatch 0: the batch size (4)",
  );
});

test("A-GEM memory: equal shares of memorySize per task seen, each earlier task keeping the first rows of its sample", () => {
  // Three tasks of five rows (row id = 10·task + row) and six slots: shares 6 (all five rows), 3, 2.
  const tasks: TinyTask[] = [0, 1, 2].map((t) => ({
    x: [0, 1, 2, 3, 4].map((r) => [10 * t + r]),
    labels: [0, 1, 0, 1, 0].map((c) => 2 * t + c),
    classes: [2 * t, 2 * t + 1],
  }));
  const stream = tinyStream("class", 6, tasks);
  const strategy = agem({ memorySize: 6 });
  const memory = () =>
    (strategy.getState!() as { perTask: { x: Float32Array }[] }).perTask.map((m) => Array.from(m.x));
  let before: number[][] = [];
  [[5], [3, 3], [2, 2, 2]].forEach((shares, t) => {
    strategy.onTaskEnd!(contextAt(softmaxLayer(1, 6, 1), stream, t));
    const now = memory();
    assert.deepEqual(
      now.map((m) => m.length),
      shares,
      `rows per task after task ${t}`,
    );
    now.forEach((ids, k) => {
      assert.equal(new Set(ids).size, ids.length, `task ${k}'s memory rows are distinct`);
      assert.ok(
        ids.every((id) => Math.floor(id / 10) === k),
        `task ${k}'s memory holds its own rows: ${ids}`,
      );
      if (k < t)
        assert.deepEqual(ids, before[k].slice(0, shares[k]), `task ${k} keeps the first rows it had`);
    });
    before = now;
  });
});

test("naive trains each task on its own rows; joint on the rows of every task so far (epochs × rows, nothing else)", () => {
  // Row ids in the first input; the measuring stream has other ids, so training on it would show.
  const tasks = (base: number): TinyTask[] =>
    [0, 1, 2].map((t) => ({
      x: [0, 1, 2].map((r) => [base + 10 * t + r, 1]),
      labels: [2 * t, 2 * t + 1, 2 * t],
      classes: [2 * t, 2 * t + 1],
    }));
  const [train, held] = [tinyStream("class", 6, tasks(0)), tinyStream("class", 6, tasks(100))];
  const epochs = 2;
  const cfg = {
    layers: [],
    seed: 1,
    epochs,
    batchSize: 64,
    optimizer: sgd({ lr: 0.01 }),
    keepOptimizerState: false,
    taskFree: false,
  };
  const rowsTrained = (strategy: Strategy): number[][] => {
    const perTask: number[][] = [];
    const watcher: Observer = {
      onTrainBegin: () => {
        perTask.push([]);
      },
      onBatchEnd: (event) => {
        perTask
          .at(-1)!
          .push(...Array.from({ length: event.batch.x.shape[0] }, (_, r) => event.batch.x.data[2 * r]));
      },
    };
    runStrategy(strategy, train, held, cfg, { observers: [watcher] });
    return perTask.map((ids) => ids.sort((a, b) => a - b));
  };
  const twice = (ids: number[]): number[] =>
    ids.flatMap((i) => Array<number>(epochs).fill(i)).sort((a, b) => a - b);
  assert.deepEqual(rowsTrained(naive()), [twice([0, 1, 2]), twice([10, 11, 12]), twice([20, 21, 22])]);
  assert.deepEqual(rowsTrained(joint()), [
    twice([0, 1, 2]),
    twice([0, 1, 2, 10, 11, 12]),
    twice([0, 1, 2, 10, 11, 12, 20, 21, 22]),
  ]);
});
