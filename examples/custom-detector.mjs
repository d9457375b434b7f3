// A detector of one's own: the window loss jumped to `factor`× the window before. Its repair rolls back to
// the last healthy snapshot and halves the learning rate. Run after `npm run build`:
//   node examples/custom-detector.mjs
import {
  BUILTIN_DETECTOR_NAMES,
  Dense,
  Rng,
  Sequential,
  Tensor,
  defineDetector,
  detectors,
  fit,
  formatEvent,
  healthMonitor,
  rollback,
  scaleLearningRate,
  sgd,
} from "homeostat";

const lossSpike = defineDetector({
  name: "lossSpike",
  doc: "The window loss jumped to `factor`× the window before; repair: roll back and halve the learning rate.",
  options: { factor: { kind: "number", min: 1, default: 1.5, doc: "Jump that counts as a spike." } },
  create: (o) => ({
    name: "lossSpike",
    reports: ["lossSpike"],
    fatal: false,
    check(p) {
      const [before, now] = p.lossMeans.slice(-2);
      if (p.lossMeans.length < 2 || !(now > o.factor * before)) return null;
      return {
        kind: "lossSpike",
        evidence: { loss: now, before, factor: now / before },
        diagnosis: `the loss jumped ${(now / before).toFixed(1)}× in one window (${before.toPrecision(3)} → ${now.toPrecision(3)})`,
        action: "roll back and halve the learning rate",
      };
    },
    repair: (_finding, ctx) => () => [...rollback(ctx), scaleLearningRate(ctx, 0.5)],
  }),
});

// Registered, it is named like a built-in one (as in a run config); or hand the object itself to healthMonitor.
detectors.register(lossSpike);
const health = healthMonitor({
  repair: true,
  thresholds: { checkEvery: 5 },
  detectors: [...BUILTIN_DETECTOR_NAMES, { type: "lossSpike", factor: 1.2 }],
  onEvent: (e) => console.log(formatEvent(e)),
});

// Two noisy blobs and a learning rate too high for them: the loss jumps about.
const rng = new Rng(1);
const n = 400;
const x = new Float32Array(n * 2).map((_, i) => (i % 2 ? 1 : -1) * ((i >> 1) % 2 ? 1 : -1) + rng.normal());
const y = new Float32Array(n).map((_, r) => r % 2);
const model = new Sequential([new Dense(8, { activation: "relu" }), new Dense(1, { activation: "sigmoid" })]).build(
  2,
  new Rng(2),
);
fit(model, { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n, 1]) }, {
  epochs: 4,
  batchSize: 16,
  optimizer: sgd({ lr: 3, momentum: 0.9 }),
  loss: "binaryCrossEntropy",
  seed: 3,
  observers: [health],
});
console.log(`${health.events.filter((e) => e.kind === "lossSpike").length} spike(s) found`);
