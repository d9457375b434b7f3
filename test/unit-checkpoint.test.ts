/**
 * A training checkpoint, field by field. One run uses everything a checkpoint must carry: Adam's
 * moments, shuffling, dropout and augmentation (three random streams), a cosine schedule, a plateau
 * that cuts the rate, a health monitor whose repairs roll back and cut the rate, clipping changed
 * mid-run, early stopping, a run recorder and a custom observer with state. Every few steps it writes
 * a checkpoint with CheckpointWriter. The reference for what comes back is the state itself: loaded
 * from the file, it must equal the snapshot `fit` handed over in every field, bit for bit; resumed,
 * it must continue exactly as the uninterrupted run, to the last field of the final state; restored
 * and saved again with no step between, it must come back unchanged, also with every number and
 * flag made distinct, so that two fields swapped on the way cannot pass for each other.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { healthMonitor } from "../src/health/index.js";
import { CheckpointWriter, type CheckpointContents, loadLatestCheckpoint } from "../src/io/checkpoint.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { cosineWithWarmup, ReduceOnPlateau } from "../src/optim/schedules.js";
import { runRecorder } from "../src/report/record.js";
import { Rng } from "../src/tensor/rng.js";
import type { Observer } from "../src/train/events.js";
import { earlyStopping } from "../src/train/observers.js";
import { fit, type FitOptions, type TrainingState } from "../src/train/fit.js";
import { tempDir } from "./helpers/tmp.js";
import { threeBlobs } from "./helpers/models.js";

/** Every field of TrainingState: a field added there and not here fails to compile. */
const FIELDS = {
  step: true,
  epoch: true,
  batchIndex: true,
  order: true,
  rngs: true,
  optimizerState: true,
  plateau: true,
  plateauFactor: true,
  lrScale: true,
  lr: true,
  clipNorm: true,
  accumulator: true,
  epochs: true,
  observers: true,
  trainSeconds: true,
  samples: true,
} as const satisfies Record<keyof TrainingState, true>;

const blobs = threeBlobs;

const DATA = blobs(38, 2); // batches of 8: four full and a short one per epoch
const VALIDATION = blobs(15, 9);
const EPOCHS = 8;
const EVERY = 3; // checkpoint steps land at every position within an epoch, the short batch's too

/** Counts steps and, at fixed steps, cuts the rate and changes clipping, as a repair would. */
function meddler(): Observer {
  let seen = 0;
  return {
    stateKey: "meddler",
    getState: () => ({ seen }),
    setState: (s) => {
      ({ seen } = s as { seen: number });
    },
    onBatchEnd(e, control) {
      seen++;
      if (e.step === 11) control.scaleLearningRate(0.5);
      if (e.step === 17) control.setClipNorm(2.5);
    },
  };
}

/** Each step's rate and the weights right after it. */
function stepRecorder(): Observer & { lr: number[]; weights: number[][][] } {
  const lr: number[] = [];
  const weights: number[][][] = [];
  return {
    lr,
    weights,
    onBatchEnd: (e, c) => {
      lr.push(e.lr);
      weights.push(c.parameters.map(([, t]) => Array.from(t.data)));
    },
  };
}

const META = {
  loss: "crossEntropy",
  config: { note: "the run config" },
  configDir: "/configs",
  runDir: "/runs/a",
};

interface Run {
  /** Every checkpoint as written and as loaded back at once, and the state `fit` handed over at the end. */
  checkpoints: { saved: TrainingState; weights: number[][]; loaded: CheckpointContents }[];
  final: TrainingState;
  steps: ReturnType<typeof stepRecorder>;
  /** The weights `fit` left (early stopping puts back its best epoch's at the end). */
  weights: number[][];
}

/** The run's options, with fresh observers (the step recorder first). */
function options(steps: Observer): FitOptions {
  return {
    epochs: EPOCHS,
    batchSize: 8,
    loss: "crossEntropy",
    metrics: ["accuracy"],
    seed: 3,
    validationData: VALIDATION,
    // lr 5 is far too high: the health monitor rolls back and cuts the rate twice in the first steps.
    optimizer: adam({ lr: 5, amsgrad: true }),
    schedule: cosineWithWarmup({ warmupSteps: 4, totalSteps: 40, minFactor: 0.1 }),
    plateau: new ReduceOnPlateau({ patience: 0, threshold: 0.3, cooldown: 1, factor: 0.5 }),
    clip: { norm: 50 },
    augment: (x, rows, cols, rng) => {
      for (let i = 0; i < rows * cols; i++) x[i]! += 0.05 * rng.normal();
    },
    observers: [
      steps,
      healthMonitor({ repair: true, seed: 5, thresholds: { checkEvery: 2 } }),
      earlyStopping({ monitor: "validation.accuracy", patience: 100 }),
      runRecorder(),
      meddler(),
    ],
  };
}

const newModel = (): Sequential =>
  new Sequential([
    new Dense(16, { activation: "relu" }),
    new Dropout(0.2),
    new Dense(3, { activation: "softmax" }),
  ]).build(2, new Rng(1));

/** The run, from the start or from a checkpoint, writing (and at once reading back) a checkpoint every EVERY steps. */
function run(from?: CheckpointContents): Run {
  const model = from?.model ?? newModel();
  const writer = new CheckpointWriter(tempDir("ckpt"), 1000);
  const steps = stepRecorder();
  const out: Run = { checkpoints: [], final: null as unknown as TrainingState, steps, weights: [] };
  fit(model, DATA, {
    ...options(steps),
    resume: from?.state,
    checkpoint: {
      every: EVERY,
      save(state) {
        writer.write(model, state, META);
        const loaded = loadLatestCheckpoint(writer.dir, (m) => assert.fail(m));
        out.checkpoints.push({
          saved: structuredClone(state),
          weights: model.parameters().map(([, t]) => Array.from(t.data)),
          loaded,
        });
        out.final = structuredClone(state);
      },
    },
  });
  out.weights = model.parameters().map(([, t]) => Array.from(t.data));
  return out;
}

/**
 * Resume from `state` with no epochs left, so that `fit` restores everything, its observers included,
 * and saves at once: what it restored, read back with no step in between.
 */
function restoreAndSave(state: TrainingState): TrainingState {
  let saved: TrainingState | undefined;
  fit(newModel(), DATA, {
    ...options(stepRecorder()),
    epochs: state.epoch,
    resume: state,
    checkpoint: {
      every: 1,
      save: (s) => {
        saved = structuredClone(s);
      },
    },
  });
  assert.ok(saved);
  return saved;
}

/**
 * A copy of `state` in which every number is different from every other and two flags differ in bit
 * `bit` of their positions (1-based), so that over bits 0–2 any two of up to seven flags differ at
 * least once: a restore that swaps two fields cannot go unseen. Fields in `keep` stay as they are.
 */
function distinctValues(
  state: Record<string, unknown>,
  bit: number,
  keep: readonly string[] = [],
): Record<string, unknown> {
  let numbers = 0;
  let flags = 0;
  return Object.fromEntries(
    Object.entries(state).map(([k, v]) => {
      if (keep.includes(k)) return [k, v];
      if (typeof v === "number") return [k, ++numbers / 64];
      if (typeof v === "boolean") return [k, ((++flags >> bit) & 1) === 1];
      return [k, v];
    }),
  );
}

const reference = run();

/**
 * The state as plain data keeps it: keys whose value is undefined dropped (a health event's absent
 * `layer`, say), as JSON drops them; absent and undefined read the same to every reader.
 */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object" && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, plain(v)]),
    );
  }
  return value;
}

/** Plain state without what measures wall-clock time, which no two runs share. */
function withoutClock(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutClock);
  if (value && typeof value === "object" && !ArrayBuffer.isView(value)) {
    const entries = Object.entries(plain(value) as object);
    return Object.fromEntries(
      entries.map(([k, v]) => [k, k === "seconds" || k === "trainSeconds" ? "(clock)" : withoutClock(v)]),
    );
  }
  return value;
}

test("the run puts a telling value in every field of the training state", () => {
  const states = reference.checkpoints.map((c) => c.saved);
  assert.ok(states.length >= 10, `${states.length} checkpoints`);
  for (const s of states) assert.deepEqual(Object.keys(s).sort(), Object.keys(FIELDS).sort());
  const some = (what: string, ok: (s: TrainingState) => boolean) => assert.ok(states.some(ok), what);
  some("mid-epoch, after the first", (s) => s.epoch > 0 && s.batchIndex > 0 && s.batchIndex < 5);
  some("a shuffled order", (s) => s.order.some((v, i) => v !== i));
  some(
    "three different random streams",
    (s) => new Set(Object.values(s.rngs).map((r) => JSON.stringify(r))).size === 3,
  );
  // The chain's state: L2 decay (none), Adam, the rate (none).
  some(
    "Adam's moments",
    (s) => (s.optimizerState as [unknown, { step: number; nuMax: Float32Array[] }])[1].nuMax.length === 4,
  );
  some(
    "a plateau cut and a cooldown",
    (s) => s.plateauFactor < 1 && (s.plateau as { cooldownCounter: number }).cooldownCounter > 0,
  );
  some("repairs' and the meddler's cuts", (s) => s.lrScale < 0.01);
  some("clipping changed mid-run", (s) => s.clipNorm === 2.5);
  some("an epoch's end, its last rate kept", (s) => s.batchIndex === 5 && s.lr !== undefined && s.lr > 0);
  some(
    "epochs with validation",
    (s) => s.epochs.length > 1 && s.epochs.every((e) => e.validation !== undefined),
  );
  some("early stopping's best weights from an earlier epoch", (s) => {
    const es = s.observers["earlyStopping"] as { bestEpoch: number; bestWeights: Float32Array[] | null };
    return es.bestWeights !== null && es.bestEpoch < s.epoch - 1;
  });
  some(
    "health repairs in the monitor's state",
    (s) => (s.observers["health"] as { totalRepairs: number } | undefined)?.totalRepairs === 2,
  );
  some(
    "a mid-epoch metric sum",
    (s) => JSON.stringify(s.accumulator) !== JSON.stringify(states[0]!.accumulator),
  );
  assert.deepEqual(Object.keys(states[0]!.observers).sort(), [
    "earlyStopping",
    "health",
    "meddler",
    "runRecord",
  ]);
});

test("a checkpoint file gives back the model and every field of the training state, bit for bit", () => {
  for (const { saved, weights, loaded } of reference.checkpoints) {
    const where = `checkpoint at step ${saved.step}`;
    assert.equal(loaded.kind, "train");
    assert.deepStrictEqual(
      loaded.model.parameters().map(([, t]) => Array.from(t.data)),
      weights,
      `${where}: weights`,
    );
    for (const field of Object.keys(FIELDS) as (keyof TrainingState)[]) {
      assert.deepStrictEqual(loaded.state[field], plain(saved[field]), `${where}: ${field}`);
    }
    assert.deepStrictEqual(loaded.state, plain(saved), `${where}: nothing more, nothing less`);
    assert.deepStrictEqual(
      [loaded.config, loaded.configDir, loaded.runDir, loaded.loss],
      [META.config, META.configDir, META.runDir, META.loss],
      where,
    );
  }
});

test("a run resumed from any checkpoint file continues as the uninterrupted run, to the last field of its state", () => {
  for (const { saved, loaded } of reference.checkpoints.slice(0, -1)) {
    const where = `resumed at step ${saved.step}`;
    const resumed = run(loaded);
    assert.deepStrictEqual(
      resumed.steps.lr,
      reference.steps.lr.slice(saved.step),
      `${where}: learning rates`,
    );
    assert.deepStrictEqual(
      resumed.steps.weights,
      reference.steps.weights.slice(saved.step),
      `${where}: weights after each step`,
    );
    assert.deepStrictEqual(resumed.weights, reference.weights, `${where}: the weights fit left`);
    const [got, want] = [resumed.final, reference.final].map(
      (s) => withoutClock(s) as Record<keyof TrainingState, unknown>,
    );
    for (const field of Object.keys(FIELDS) as (keyof TrainingState)[]) {
      assert.deepStrictEqual(got[field], want[field], `${where}: final ${field}`);
    }
    // Training time adds up across the interruption rather than starting again.
    assert.ok(resumed.final.trainSeconds >= saved.trainSeconds, `${where}: trainSeconds`);
  }
});

test("a state restored and saved with no step between comes back unchanged in every field, its observers' too", () => {
  for (const { saved } of reference.checkpoints) {
    // Saved with no step taken, the position reads as the start of the epoch: batchIndex is the one field that moves.
    assert.deepStrictEqual(
      plain(restoreAndSave(structuredClone(saved))),
      plain({ ...saved, batchIndex: 0 }),
      `checkpoint at step ${saved.step}`,
    );
  }
  // Real states hold equal values in fields a swapped restore would exchange (clipping and pendingClip are both
  // false throughout): the same again with every number and flag of the state and of each observer's state made distinct.
  const last = reference.checkpoints.at(-1)!.saved;
  for (const bit of [0, 1, 2]) {
    const observers = Object.fromEntries(
      Object.entries(last.observers).map(([k, v]) => [k, distinctValues(v as Record<string, unknown>, bit)]),
    );
    const state = {
      ...distinctValues({ ...last }, bit, ["step", "epoch", "batchIndex"]),
      observers,
    } as unknown as TrainingState;
    assert.deepStrictEqual(
      plain(restoreAndSave(structuredClone(state))),
      plain({ ...state, batchIndex: 0 }),
      `distinct values, flag bit ${bit}`,
    );
  }
});
