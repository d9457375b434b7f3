// Continual learning on a stream of tasks: split digits (task i tells 2i from 2i + 1, in one shared
// two-unit head: the domain-incremental scenario), one network, trained task after task. Naive
// fine-tuning forgets the earlier tasks; EWC (Kirkpatrick et al. 2017) anchors the weights that mattered. Both print the
// accuracy matrix R (row i: after training task i; column j: accuracy on task j) and the measures.
// Run after `npm run build`:   node examples/continual-ewc.mjs
// runContinual from homeostat/node reads the bundled digits when the config names no data.
import { formatAccuracyMatrix, parseContinualConfig } from "homeostat";
import { runContinual } from "homeostat/node";

const base = {
  stream: "split",
  scenario: "domain",
  epochs: 3,
  trainPerTask: 600,
  testPerTask: 300,
  compareJoint: false,
  optimizer: { type: "adam", lr: 0.001 },
  model: { layers: [{ type: "dense", units: 64, activation: "relu" }] },
  seed: 1,
};
for (const strategy of ["naive", { type: "ewc", lambda: 10000 }]) {
  const result = runContinual(parseContinualConfig({ ...base, strategy }));
  console.log(`\n${result.strategy}:`);
  console.log(formatAccuracyMatrix(result.R, result.taskNames));
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  console.log(`ACC ${pct(result.ACC)}, BWT ${pct(result.BWT)}, forgetting ${pct(result.forgetting.maxOverEarlier)}`);
}
