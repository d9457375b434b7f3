// The health monitor watching a run that is set up to fail, and repairing it: a learning rate 100×
// too high for Adam. Each event is one line of plain words; with `repair: true` the monitor rolls back
// to the last healthy weights and cuts the rate. The same run without repair, for comparison.
// Run after `npm run build`:   node examples/health-repair.mjs
import { Dense, Rng, Sequential, Tensor, adam, evaluate, fit, formatEvent, healthMonitor } from "homeostat";

// Three classes in 8 dimensions: each class a Gaussian blob around its own centre.
const rng = new Rng(7);
const n = 600;
const x = new Float32Array(n * 8);
const y = new Float32Array(n * 3);
for (let r = 0; r < n; r++) {
  const c = r % 3;
  y[r * 3 + c] = 1;
  for (let j = 0; j < 8; j++) x[r * 8 + j] = (j % 3 === c ? 2 : 0) + rng.normal();
}
const data = { x: new Tensor(x, [n, 8]), y: new Tensor(y, [n, 3]) };

function run(repair) {
  const model = new Sequential([new Dense(32, { activation: "relu" }), new Dense(3, { activation: "softmax" })]);
  model.build(8, new Rng(1));
  const health = healthMonitor({ repair, onEvent: (e) => repair && console.log(formatEvent(e)) });
  const options = { epochs: 6, batchSize: 16, optimizer: adam({ lr: 0.5 }), loss: "crossEntropy", seed: 2 };
  fit(model, data, { ...options, observers: [health] });
  const { accuracy } = evaluate(model, data, { loss: "crossEntropy", metrics: ["accuracy"] });
  return { accuracy, events: health.events };
}

const repaired = run(true);
const reported = run(false);
const kinds = (r) => [...new Set(r.events.map((e) => e.kind))].join(", ") || "none";
console.log(`with repair:    accuracy ${(100 * repaired.accuracy).toFixed(1)}%, events: ${kinds(repaired)}`);
console.log(`without repair: accuracy ${(100 * reported.accuracy).toFixed(1)}%, events: ${kinds(reported)}`);
