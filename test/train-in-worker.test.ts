/**
 * `trainInWorker` in Node (worker_threads): the worker's run equals the same job run in this process
 * bit for bit, on two wasm threads and on one (split products sum in the same order); its events arrive
 * as they happen; a saved model file continues training with its optimiser state; bad jobs and aborts
 * reject with a message. The browser half of the same claims is test/e2e-browser-app.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as h from "homeostat";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { digitsJob } = (await import(`${ROOT}test/fixtures/browser-app/job.js`)) as {
  digitsJob(
    lib: unknown,
    o: { model?: Uint8Array; threads: number; epochs?: number; rows?: number },
  ): h.TrainingJob;
};

const weights = (bytes: Uint8Array): number[][] =>
  h
    .decodeModel(bytes)
    .model.parameters()
    .map(([, t]) => Array.from(t.data));

test("a worker's training equals the same job in this process, on two threads and on one", async () => {
  const job = (threads: number) => digitsJob(h, { threads, rows: 256 });
  const epochs: number[] = [];
  const batches: number[] = [];
  const two = await h.trainInWorker(job(2), {
    onEpoch: (e) => epochs.push(e.epoch),
    onBatch: (e) => batches.push(e.step),
  });
  assert.equal(two.backend.name, "wasm");
  assert.equal(two.backend.threads, 2, two.backend.threadsReason);
  assert.equal(two.backend.threadsReason, "worker_threads over shared memory");
  assert.deepEqual(epochs, [0, 1], "one event per epoch, in order");
  assert.deepEqual(batches, [4, 8], "256 rows, batches of 64, two epochs: steps 4 and 8 reported");
  const here = await h.runTrainingJob(job(1));
  h.useBackend("js");
  assert.equal(here.backend.threads, 1);
  assert.equal(here.backend.threadsReason, "one thread asked for");
  assert.deepEqual(weights(two.model), weights(here.model), "two threads in a worker = one thread here");
  assert.equal(two.epochs.at(-1)!.train.loss, here.epochs.at(-1)!.train.loss);
  assert.ok(two.epochs[1]!.train.loss < two.epochs[0]!.train.loss, "it learned");
});

test("a saved model file continues training where it stopped, optimiser state included", async () => {
  const first = await h.trainInWorker(digitsJob(h, { threads: 1, rows: 128, epochs: 1 }));
  const saved = h.decodeModel(first.model).optimizer;
  assert.equal(saved?.type, "adam");
  const on = await h.trainInWorker(digitsJob(h, { model: first.model, threads: 1, rows: 128, epochs: 1 }));
  const fresh = h.decodeModel(first.model);
  const plain = await h.runTrainingJob({
    ...digitsJob(h, { model: h.encodeModel(fresh.model), threads: 1, rows: 128, epochs: 1 }),
  });
  h.useBackend("js");
  assert.notDeepEqual(weights(on.model), weights(plain.model), "the saved Adam moments were used");
  const steps = (h.decodeModel(on.model).optimizer?.state as { step?: number }[] | undefined)?.find(
    (s) => s && typeof s === "object" && "step" in s,
  );
  assert.ok(on.epochs.length === 1 && steps !== undefined, "the optimiser state travels in the model file");
});

test("a bad job rejects with the library's message; an abort terminates the worker", async () => {
  await assert.rejects(
    h.trainInWorker({
      ...digitsJob(h, { threads: 1, rows: 16 }),
      data: { x: new Float32Array(5), y: new Float32Array(2), rows: 2 },
    }),
    /trainInWorker: ConfigError: data: x \(5\) and y \(2\) must hold 2 whole rows/,
  );
  const ac = new AbortController();
  const run = h.trainInWorker(digitsJob(h, { threads: 1, rows: 512, epochs: 50 }), { signal: ac.signal });
  ac.abort();
  await assert.rejects(run, /trainInWorker: aborted/);
});

test("the browser storage helpers say so in Node instead of failing obscurely", async () => {
  await assert.rejects(h.saveBytes("m", new Uint8Array(1)), /IndexedDB is not available in this runtime/);
  await assert.rejects(h.loadBytes("m", "opfs"), /origin private file system is not available/);
  const url = h.downloadBytes(new Uint8Array([1, 2, 3]), "m.hmst");
  assert.match(url, /^blob:/);
  const blob = await (await import("node:buffer")).resolveObjectURL(url)?.arrayBuffer();
  assert.deepEqual([...new Uint8Array(blob!)], [1, 2, 3]);
  URL.revokeObjectURL(url);
});

/** Vitals without the clock's readings. */
const untimed = (v: h.LearnerVitals): unknown => ({ ...v, seconds: 0, samplesPerSecond: 0 });

test("a learner in a worker learns as one here does, bit for bit, and streams its vitals", async (t) => {
  const rng = new h.Rng(9);
  const xs = Array.from({ length: 120 }, () => [rng.normal(), rng.normal(), rng.normal()]);
  const ys = xs.map((x) => (x[0]! + 0.5 * x[1]! > 0 ? "up" : "down"));
  const config = { task: "classification", seed: 4 } as const;
  const heard: number[] = [];
  const remote = await h.learnerInWorker(config, {
    backend: "js",
    vitalsEvery: 50,
    onVitals: (v) => heard.push(v.prequential.rows),
  });
  t.after(() => remote.close());
  const local = h.Learner.create(config);
  h.useBackend("js");
  const first = await remote.observe(xs[0]!, ys[0]!);
  assert.deepEqual(first, local.observe(xs[0]!, ys[0]!));
  const many = await remote.observeMany(xs.slice(1), ys.slice(1));
  assert.deepEqual(
    many,
    xs.slice(1).map((x, i) => local.observe(x, ys[i + 1]!)),
    "each prediction as here",
  );
  assert.deepEqual(await remote.predict([1, 1, 0]), local.predict([1, 1, 0]));
  assert.deepEqual(untimed(await remote.vitals()), untimed(local.vitals()));
  assert.deepEqual(heard, [50, 100], "vitals after rows 50 and 100");
  const bytes = await remote.toBytes();
  remote.close();
  await assert.rejects(remote.predict([0, 0, 0]), /learnerInWorker: closed/);
  const again = await h.learnerInWorker(bytes, { backend: "js" });
  t.after(() => again.close());
  assert.deepEqual(
    await again.observe([0.3, 0.1, 0], "up"),
    local.observe([0.3, 0.1, 0], "up"),
    "continued from bytes",
  );
  await assert.rejects(
    h.learnerInWorker({ task: "clustering" } as never, { backend: "js" }),
    /learnerInWorker: ConfigError: .*task/,
  );
});
