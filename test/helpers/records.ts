/**
 * Synthetic run records for report tests: a noisy, decaying loss with a spike, per-layer health series,
 * events (one with markup in its diagnosis) and optionally a continual accuracy matrix. Closed-form
 * and seeded, so the same options give the same record.
 */
import { RUN_RECORD_FORMAT, RUN_RECORD_VERSION, type RunRecord } from "../../src/report/record.js";
import { Rng } from "../../src/tensor/rng.js";

export interface SyntheticOptions {
  steps: number;
  /** Health points every this many steps. */
  checkEvery?: number;
  layers?: number;
  epochs?: number;
  events?: number;
  continualTasks?: number;
  /** Step of a loss spike (its value 50). */
  spikeAt?: number;
  seed?: number;
  scale?: number;
  label?: string;
}

export const NASTY_DIAGNOSIS = `loss <script>alert("x")</script> & "quotes" 'too' went up`;

export function syntheticRecord(o: SyntheticOptions): RunRecord {
  const rng = new Rng(o.seed ?? 0);
  const n = o.steps,
    scale = o.scale ?? 1;
  const step = new Array<number>(n),
    loss = new Array<number>(n),
    lr = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t = (i + 1) / n;
    step[i] = i + 1;
    loss[i] = scale * (2.3 * Math.exp(-4 * t) + 0.05) * (1 + 0.3 * (rng.next() - 0.5));
    lr[i] = 0.001 * 0.5 * (1 + Math.cos(Math.PI * t));
  }
  if (o.spikeAt !== undefined) loss[o.spikeAt - 1] = 50;
  const checkEvery = o.checkEvery ?? Math.max(1, Math.floor(n / 1000));
  const layers = o.layers ?? 3;
  const points = [];
  for (let s = checkEvery; s <= n; s += checkEvery) {
    const t = s / n;
    points.push({
      step: s,
      loss: 2.3 * Math.exp(-4 * t),
      gradNorm: Math.exp(-3 * t),
      layers: Array.from({ length: layers }, (_, k) => ({
        layer: String(2 * k),
        activation: k === layers - 1 ? "softmax" : "relu",
        gradNorm: Math.exp(-3 * t) / (k + 1),
        weightNorm: 5 + k + t,
        updateRatio: 1e-2 * Math.exp(-3 * t),
        weightGrowth: 1,
        activationMean: 0.3,
        preActivationStd: 1,
        deadFraction: k === layers - 1 ? NaN : 0.3 * t,
        inactiveFraction: NaN,
        dormantFraction: k === layers - 1 ? NaN : 0.1 + 0.2 * t,
        saturatedFraction: NaN,
        effectiveRank: s % (5 * checkEvery) === 0 ? 20 - 5 * t : NaN,
      })),
    });
  }
  const epochs = o.epochs ?? 10;
  const events = Array.from({ length: o.events ?? 3 }, (_, i) => ({
    step: Math.max(1, Math.round(((i + 1) / ((o.events ?? 3) + 1)) * n)),
    kind: (["dyingRelu", "unitReinit", "divergence"] as const)[i % 3],
    layer: "0",
    evidence: { deadFraction: 0.5 },
    diagnosis: i === 0 ? NASTY_DIAGNOSIS : `event ${i}: half of the units of layer 0 never fire`,
    action: "re-initialise dead units",
    repaired: i % 3 === 1,
  }));
  const record: RunRecord = {
    format: RUN_RECORD_FORMAT,
    version: RUN_RECORD_VERSION,
    command: "train",
    label: o.label,
    createdAt: "2026-01-01T00:00:00.000Z",
    config: { seed: o.seed ?? 0, note: "<b>synthetic</b>" },
    steps: { step, loss, lr },
    epochs: Array.from({ length: epochs }, (_, e) => ({
      epoch: e,
      steps: Math.round(((e + 1) / epochs) * n),
      lr: 0.001,
      train: {
        loss: scale * 2.3 * Math.exp((-4 * (e + 1)) / epochs),
        accuracy: 1 - 0.9 * Math.exp((-4 * (e + 1)) / epochs),
      },
      validation: {
        loss: scale * 2.4 * Math.exp((-3.5 * (e + 1)) / epochs),
        accuracy: 1 - 0.92 * Math.exp((-3.5 * (e + 1)) / epochs),
      },
      seconds: 1,
    })),
    test: { loss: 0.1, accuracy: 0.97 },
    health: { checkEvery, points, events },
    summary: { wallSeconds: 12.5, samplesPerSecond: 40000 },
  };
  const t = o.continualTasks;
  if (t) {
    const R = Array.from({ length: t }, (_, i) =>
      Array.from({ length: t }, (_, j) => (j <= i ? 0.98 - 0.15 * (i - j) : 0.1)),
    );
    record.continual = {
      strategy: "naive",
      stream: "split",
      scenario: "class",
      tasks: Array.from({ length: t }, (_, j) => `digits ${2 * j}/${2 * j + 1}`),
      R,
      b: new Array(t).fill(0.1),
      ACC: 0.7,
      BWT: -0.3,
      FWT: 0,
      jointACC: 0.95,
    };
  }
  return record;
}
