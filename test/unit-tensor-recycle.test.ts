/**
 * The training step's array pool (src/tensor/recycle.ts): what it hands out, what it takes back, and that
 * the training loop reuses only what nothing outside the step can still hold — an observer's kept
 * activations and a loss term's kept logits stay as they were after later steps.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { backendNames, copyFloat32, keptCopy, useBackend, zeroFloat32 } from "../src/backend/index.js";
import { RESIDENT_MIN } from "../src/backend/wasm/runner.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { ArrayPool, POOL_MIN_FLOATS, pooledFloat32 } from "../src/tensor/recycle.js";
import { Rng } from "../src/tensor/rng.js";
import { allocate, allocateOutput, Tensor } from "../src/tensor/tensor.js";
import type { LayerActivation, Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";

const N = POOL_MIN_FLOATS;

test("allocate serves float32 arrays from the pool only inside during, and only large ones", () => {
  const made: number[] = [];
  const pool = new ArrayPool((n) => {
    made.push(n);
    return new Float32Array(n);
  });
  assert.equal(pooledFloat32(N), null);
  const [big, small, wide] = pool.during(() => [
    allocate("float32", N),
    allocate("float32", N - 1),
    allocate("float64", N),
  ]);
  assert.deepEqual(made, [N]);
  assert.equal(big.length, N);
  assert.ok(small instanceof Float32Array && wide instanceof Float64Array);
  assert.equal(pooledFloat32(N), null, "the pool stops serving when during returns");
});

test("a recycled array is handed out again, zeroed; one that shares memory with a kept array is not", () => {
  const pool = new ArrayPool((n) => new Float32Array(n));
  const [a, b] = pool.during(() => [allocate("float32", N), allocate("float32", N)]);
  a.fill(3);
  b.fill(4);
  pool.recycle([b.subarray(10, 20)]);
  const [c, d] = pool.during(() => [allocate("float32", N), allocate("float32", N)]);
  assert.equal(c, a, "a came back");
  assert.ok(
    c.every((v) => v === 0),
    "zeroed",
  );
  assert.notEqual(d, b, "b shares memory with a kept view: not reused");
  assert.equal(b[0], 4);
});

test("allocateOutput hands a reused array back as the last step left it; allocate zeroes it", () => {
  const pool = new ArrayPool((n) => new Float32Array(n));
  const [a, b] = pool.during(() => [allocate("float32", N), allocate("float32", N)]);
  a.fill(5);
  b.fill(6);
  pool.recycle([]);
  const [c, d] = pool.during(() => [allocateOutput("float32", N), allocate("float32", N)]);
  assert.equal(c, b, "the last array recycled is the first one handed out");
  assert.equal(c[N - 1], 6);
  assert.equal(d, a);
  assert.ok(d.every((v) => Object.is(v, 0)));
  assert.ok(
    allocateOutput("float32", N).every((v) => v === 0),
    "outside a pool: a fresh, zeroed array",
  );
});

test("zeroFloat32 sets every element to +0, in the wasm backend's memory and in a plain array", {
  skip: !backendNames().includes("wasm"),
}, () => {
  const wasm = useBackend("wasm");
  try {
    const n = RESIDENT_MIN + 3; // long enough for the backend to keep it in its memory
    const resident = wasm.alloc?.(n);
    assert.ok(resident, "the wasm backend keeps arrays of its own");
    for (const a of [resident, new Float32Array(n)]) {
      a.fill(-0);
      a[1] = Number.NaN;
      a[n - 1] = 7;
      zeroFloat32(a);
      assert.ok(a.every((v) => Object.is(v, 0)));
    }
  } finally {
    useBackend("js");
  }
});

test("copyFloat32 copies every bit between resident and plain arrays; keptCopy keeps a copy beside its source", {
  skip: !backendNames().includes("wasm"),
}, () => {
  const wasm = useBackend("wasm");
  try {
    const n = RESIDENT_MIN + 3;
    const source = wasm.alloc?.(n);
    assert.ok(source, "the wasm backend keeps arrays of its own");
    // NaN payloads, −0 and subnormals: a copy that went through arithmetic would lose some of them.
    const bits = new Uint32Array(source.buffer, source.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = (Math.imul(i, 2654435761) ^ (i << 3)) >>> 0;
    const same = (a: Float32Array) =>
      new Uint32Array(a.buffer, a.byteOffset, a.length).every((v, i) => v === bits[i]);
    const alloc = (size: number): Float32Array => {
      const a = wasm.alloc?.(size);
      assert.ok(a);
      return a;
    };
    const resident = alloc(n);
    const plain = new Float32Array(n);
    copyFloat32(resident, source);
    copyFloat32(plain, source);
    assert.ok(same(resident) && same(plain));
    const back = alloc(n);
    copyFloat32(back, plain);
    assert.ok(same(back), "plain into resident");
    // keptCopy: a fresh copy lives where its source does (so later copies are bulk moves) ...
    const kept = keptCopy(undefined, source);
    assert.ok(wasm.holds?.(kept) && kept !== source && same(kept));
    assert.ok(!wasm.holds?.(keptCopy(undefined, plain)), "a plain source gets a plain copy");
    // ... is written in place when `into` fits, and never into its own source or an overlapping view.
    source[0] = 42;
    assert.equal(keptCopy(kept, source), kept);
    assert.equal(kept[0], 42);
    const self = keptCopy(source, source);
    assert.ok(self !== source && self[0] === 42);
    const view = source.subarray(0, n - 1);
    assert.notEqual(keptCopy(view, source.subarray(1)), view, "overlapping views: a fresh copy");
    assert.notEqual(keptCopy(new Float32Array(n - 1), source).length, n - 1, "another length: a fresh copy");
    // A plain array kept for a resident source (a resumed snapshot) gives way to a resident copy.
    const resumed = new Float32Array(n);
    const moved = keptCopy(resumed, source);
    assert.ok(moved !== resumed && wasm.holds?.(moved) && same(moved));
  } finally {
    useBackend("js");
  }
});

test("the pool keeps at most maxFloats between steps", () => {
  const pool = new ArrayPool((n) => new Float32Array(n), undefined, N);
  const [a, b] = pool.during(() => [allocate("float32", N), allocate("float32", N)]);
  pool.recycle([]);
  const [c, d] = pool.during(() => [allocate("float32", N), allocate("float32", N)]);
  assert.equal(c, a);
  assert.ok(d !== a && d !== b, "the second array went to the collector");
});

test("nested during gives the outer pool back", () => {
  const outer = new ArrayPool((n) => new Float32Array(n));
  const inner = new ArrayPool((n) => new Float32Array(n));
  outer.during(() => {
    inner.during(() => allocate("float32", N));
    const x = allocate("float32", N);
    outer.recycle([]);
    assert.equal(
      outer.during(() => allocate("float32", N)),
      x,
    );
  });
});

/**
 * A net of 64-unit layers on 64 rows of 100 features, 64 classes: outputs and logits (64 × 64 floats) are
 * pooled. Four epochs of one batch (of 64 rows, however large `batchSize`).
 */
function run(observer: Observer, backend: "js" | "wasm", batchSize = 64): void {
  useBackend(backend);
  const rng = new Rng(3);
  const x = new Float32Array(64 * 100).map(() => rng.next());
  const y = new Float32Array(64 * 64).map((_, i) => (i % 64 === Math.floor(i / 64) % 7 ? 1 : 0));
  const model = new Sequential([
    new Dense(64, { activation: "relu" }),
    new Dense(64, { activation: "relu" }),
    new Dense(64, { activation: "softmax" }),
  ]).build(100, new Rng(1));
  fit(
    model,
    { x: new Tensor(x, [64, 100]), y: new Tensor(y, [64, 64]) },
    {
      epochs: 4,
      batchSize,
      optimizer: sgd({ lr: 0.1 }),
      loss: "crossEntropy",
      seed: 1,
      observers: [observer],
    },
  );
}

for (const backend of ["js", "wasm"] as const) {
  test(`an observer that keeps a step's activations finds them unchanged after later steps (${backend})`, () => {
    const kept: { view: Float32Array; copy: Float32Array }[] = [];
    run(
      {
        wantsActivations: true,
        onBatchEnd(e) {
          const a = e.activations?.get("1") as LayerActivation;
          const view = a.output.data as Float32Array;
          assert.ok(view.length >= N, "the layer's output is large enough to be pooled");
          kept.push({ view, copy: view.slice() });
        },
      },
      backend,
    );
    assert.equal(kept.length, 4);
    for (const { view, copy } of kept) assert.deepEqual(view, copy);
  });

  test(`a loss term that keeps the logits finds them unchanged after later steps (${backend})`, () => {
    const kept: { view: Float32Array; copy: Float32Array }[] = [];
    run(
      {
        lossTerm({ logits }) {
          const view = logits.data as Float32Array;
          assert.ok(view.length >= N, "the logits are large enough to be pooled");
          kept.push({ view, copy: view.slice() });
          return null;
        },
      },
      backend,
    );
    assert.equal(kept.length, 4);
    for (const { view, copy } of kept) assert.deepEqual(view, copy);
  });
}

for (const backend of ["js", "wasm"] as const) {
  test(`observers that keep no activations get them in arrays reused from step to step, same values (${backend})`, () => {
    const seen = (keeps: boolean) => {
      const steps: { arrays: Float32Array[]; values: Float32Array[] }[] = [];
      run(
        {
          wantsActivations: true,
          keepsActivations: keeps,
          onBatchEnd(e) {
            const arrays = ["1", "2"].flatMap((name) => {
              const a = e.activations?.get(name) as LayerActivation;
              return [a.output.data as Float32Array, a.preActivation?.data as Float32Array];
            });
            steps.push({ arrays, values: arrays.map((a) => a.slice()) });
          },
        },
        backend,
      );
      return steps;
    };
    const [kept, borrowed] = [seen(true), seen(false)];
    assert.equal(borrowed.length, 4);
    borrowed.forEach((step, i) => {
      assert.deepEqual(step.values, kept[i].values, `step ${i + 1}: the values of fresh copies`);
      if (i > 0)
        step.arrays.forEach((a, k) => assert.equal(a, borrowed[0].arrays[k], `step ${i + 1}, array ${k}`));
    });
  });

  test(`fit gathers every batch into the same arrays (${backend})`, () => {
    const arrays: ArrayBufferLike[][] = [];
    run({ onBatchEnd: (e) => void arrays.push([e.batch.x.data.buffer, e.batch.y.data.buffer]) }, backend);
    const offsets: number[][] = [];
    run(
      { onBatchEnd: (e) => void offsets.push([e.batch.x.data.byteOffset, e.batch.y.data.byteOffset]) },
      backend,
    );
    assert.equal(arrays.length, 4);
    for (let i = 1; i < 4; i++) {
      assert.deepEqual(arrays[i], arrays[0]);
      assert.deepEqual(offsets[i], offsets[0]);
    }
  });
}

test("a batch larger than the data gathers into an array of the data's size", () => {
  const bytes: number[] = [];
  run({ onBatchEnd: (e) => void bytes.push(e.batch.x.data.buffer.byteLength) }, "js", 1_000_000);
  assert.deepEqual(
    bytes,
    [0, 1, 2, 3].map(() => 64 * 100 * 4),
  );
});
