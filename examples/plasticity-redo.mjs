// Plasticity: a ReLU network started with its first layer's biases at −3 (most units silent from the
// first step: "dying ReLU"), trained twice on the same data, without and with ReDo (Sokar et al. 2023),
// the regulator that gives dormant units fresh incoming weights. The balance measures on probe rows
// say how many units are dead and how rich the representation is. Run after `npm run build`:
//   node examples/plasticity-redo.mjs
import { Dense, Rng, Sequential, Tensor, adam, balanceMeasures, evaluate, fit, redo } from "homeostat";

const rng = new Rng(11);
const n = 800;
const x = new Float32Array(n * 10).map(() => rng.normal());
const y = new Float32Array(n * 4);
for (let r = 0; r < n; r++) y[r * 4 + ((x[r * 10] > 0 ? 1 : 0) + (x[r * 10 + 1] > 0 ? 2 : 0))] = 1;
const data = { x: new Tensor(x, [n, 10]), y: new Tensor(y, [n, 4]) };

function run(regulators) {
  const model = new Sequential([
    new Dense(64, { activation: "relu" }),
    new Dense(64, { activation: "relu" }),
    new Dense(4, { activation: "softmax" }),
  ]).build(10, new Rng(12));
  model.layers[0].bias.data.fill(-3);
  const options = { epochs: 8, batchSize: 32, optimizer: adam({ lr: 1e-3 }), loss: "crossEntropy", seed: 13 };
  fit(model, data, { ...options, observers: regulators });
  const { accuracy } = evaluate(model, data, { loss: "crossEntropy", metrics: ["accuracy"] });
  const layers = balanceMeasures(model, data.x);
  const dead = layers.map((l) => `${(100 * l.deadFraction).toFixed(0)}%`).join(" / ");
  const rank = layers.map((l) => l.effectiveRank.toFixed(1)).join(" / ");
  return `accuracy ${(100 * accuracy).toFixed(1)}%, dead units ${dead}, effective rank ${rank}`;
}

console.log(`plain backprop: ${run([])}`);
const recycler = redo({ tau: 0.025, every: 25 });
console.log(`with ReDo:      ${run([recycler])}; ${recycler.recycled()} units recycled`);
