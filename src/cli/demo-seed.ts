import { designRank } from "../data/linalg.js";
import { mse } from "../losses/losses.js";
import { Dense } from "../nn/layers.js";
import { Sequential } from "../nn/sequential.js";
import { sgd } from "../optim/optimizers.js";
import { Rng } from "../tensor/rng.js";
import { Tensor } from "../tensor/tensor.js";
import { evaluate } from "../train/evaluate.js";
import { fit } from "../train/fit.js";
import type { Ui } from "./ui.js";

/** The seed article's data: X = [[1,2],[2,3],[3,4],[4,5]], y = X·[1,2] + 3. */
export const SEED_X = [
  [1, 2],
  [2, 3],
  [3, 4],
  [4, 5],
];
export const SEED_Y = SEED_X.map(([a, b]) => a * 1 + b * 2 + 3);

function train(activation: "identity" | "sigmoid", seed: number, steps: number, lr: number) {
  const model = new Sequential([new Dense(1, { activation, init: "glorotUniform" })]).build(2, new Rng(seed));
  const data = { x: Tensor.from(SEED_X), y: Tensor.from(SEED_Y.map((v) => [v])) };
  // Plain full-batch gradient descent, as in the article: one batch of all four rows per step.
  fit(model, data, { epochs: steps, batchSize: 4, shuffle: false, optimizer: sgd({ lr }), loss: mse, seed });
  const w = model.parameters()[0][1].data;
  const b = model.parameters()[1][1].data[0];
  return { model, data, w1: w[0], w2: w[1], b, mse: evaluate(model, data, { loss: mse }).loss };
}

/**
 * `homeostat demo seed`: the linear regression of the article Homeostat grew out of, trained as it
 * was meant to be, with the truth about its data, then the article's own sigmoid variant and why it
 * cannot fit.
 */
export function demoSeed(ui: Ui, seed = 0): Record<string, unknown> {
  const good = train("identity", seed, 20000, 0.02);
  const rank = designRank(SEED_X.flat(), 4, 2, { intercept: true });
  const collinear = rank.rank < rank.columns;
  const identifiable = { "w1+w2": good.w1 + good.w2, "w2+b": good.w2 + good.b };
  const bad = train("sigmoid", seed, 20000, 0.02);
  const bestSigmoidMse = SEED_Y.reduce((s, y) => s + (y - 1) ** 2, 0) / SEED_Y.length;

  const f = (v: number) => v.toFixed(6);
  ui.say("Homeostat · demo seed · the seed article's linear regression");
  ui.say("  X = [[1,2],[2,3],[3,4],[4,5]],  y = X·[1,2] + 3 = [8, 11, 14, 17]");
  ui.say("");
  ui.say(
    "1. The intended model, y = w·x + b (identity output), 20,000 steps of plain gradient descent (lr 0.02):",
  );
  ui.say(
    `   weights w = [${f(good.w1)}, ${f(good.w2)}]   bias b = ${f(good.b)}   final MSE = ${good.mse.toExponential(2)}`,
  );
  ui.say("");
  if (collinear) {
    ui.say(
      `2. The truth about this data: the design [x₁, x₂, 1] has rank ${rank.rank} of ${rank.columns}, because x₂ = x₁ + 1 for every row.`,
    );
    ui.say(
      "   The features are collinear, so the individual weights are NOT identifiable: adding t·(1, −1) to w and",
    );
    ui.say(
      "   t to b gives exactly the same predictions for any t. Gradient descent simply stops wherever its start",
    );
    ui.say(
      "   point leads it (the [1, 2] and 3 used to make the data are one of infinitely many exact fits).",
    );
    ui.say("   What the data does determine, since y = (w₁+w₂)·x₁ + (w₂+b):");
    ui.say(`     w₁ + w₂ = ${f(identifiable["w1+w2"])}   (true 3)`);
    ui.say(`     w₂ + b  = ${f(identifiable["w2+b"])}   (true 5)`);
  }
  ui.say("");
  ui.say("3. The article's own variant, a sigmoid on the output:");
  ui.say(
    `   final MSE = ${bad.mse.toFixed(3)} after 20,000 steps (it cannot go below ${bestSigmoidMse.toFixed(3)}).`,
  );
  ui.say(
    "   Why: a sigmoid's outputs lie in (0, 1) but the targets are 8 to 17, so even a perfect sigmoid output",
  );
  ui.say(
    "   of 1 misses every target by 7 to 16. Worse, the unit saturates (σ′ ≈ 0) as it pushes towards 1, so",
  );
  ui.say("   its gradient vanishes and learning stalls. Use an identity output for regression, or scale the");
  ui.say(
    "   targets into (0, 1) first. The article also subtracted targets of shape [4] from predictions of",
  );
  ui.say("   shape [4,1], which broadcasts to a 4×4 matrix comparing every prediction with every target;");
  ui.say("   Homeostat's losses refuse mismatched shapes instead.");
  const summary = {
    command: "demo seed",
    mse: good.mse,
    weights: [good.w1, good.w2],
    bias: good.b,
    collinear,
    rank: rank.rank,
    identifiable,
    sigmoidVariant: { mse: bad.mse, lowerBound: bestSigmoidMse, canFit: false },
  };
  ui.result(summary);
  return summary;
}
