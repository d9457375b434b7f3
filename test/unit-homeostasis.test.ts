/**
 * Each homeostatic regulator's step against numbers computed by hand. The regulators are driven
 * directly (no training loop): a 2 → 4 → 2 network with chosen weights, batch events whose hidden
 * activations are chosen too, and an Adam state whose moments are all non-zero — so the expected
 * weights, biases, statistics and moment resets follow from the documented formulas alone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/index.js";
import {
  continualBackprop,
  intrinsicPlasticity,
  l2Init,
  redo,
  shrinkPerturb,
  synapticScaling,
} from "../src/homeostasis/index.js";
import { initialize } from "../src/nn/init.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import type { LossContext, Observer } from "../src/train/events.js";
import { assertMomentsZeroedFor, copyMoments, setDense, testControl } from "./helpers/control.js";
import { B0, close, drive, scaledRows, tiny, W0, W1 } from "./helpers/homeostasis.js";

test("synaptic scaling: rows × (r/r̂)^α, at most ±maxStep per step, total gain within [1/maxGain, maxGain], quiet units left alone", () => {
  const { hidden, out, control } = tiny();
  // Unit means r̂ = 1.5625, 0.25, 0.05, 1 (rate 1: r̂ is this batch's mean); set point r = 1.
  const batch = [
    [1.0625, 0, 0, 0.5],
    [2.0625, 0.5, 0.1, 1.5],
  ];
  const reg = synapticScaling({ target: 1, alpha: 0.5, rate: 1, maxStep: 0.5, warmup: 1, maxGain: 2 });
  const seen: number[][] = [];
  drive(reg, control, [batch, batch, batch, batch, batch], () => seen.push(Array.from(hidden.weight.data)));
  // Step 1: (1/1.5625)^½ = 0.8; (1/0.25)^½ = 2 capped at 1 + 0.5; r̂ = 0.05 < r/10: not scaled up; r̂ = r: factor 1.
  close(seen[0], scaledRows([0.8, 1.5, 1, 1]), "after step 1");
  // Step 2: unit 1's total gain 1.5 · 1.5 = 2.25 is capped at maxGain 2.
  close(seen[1], scaledRows([0.64, 2, 1, 1]), "after step 2");
  close(seen[2], scaledRows([0.512, 2, 1, 1]), "after step 3");
  // Step 4: 0.512 · 0.8 = 0.4096 is held at 1/maxGain = 0.5, and stays there.
  close(seen[3], scaledRows([0.5, 2, 1, 1]), "after step 4");
  close(seen[4], scaledRows([0.5, 2, 1, 1]), "after step 5");
  assert.deepEqual(Array.from(hidden.bias!.data), B0.map(Math.fround), "biases are not scaled");
  assert.deepEqual(
    Array.from(out.weight.data),
    W1.flat().map(Math.fround),
    "outgoing weights are not scaled",
  );
});

test("synaptic scaling: nothing moves during the warmup; the set point is then the layer's mean of exact running averages", () => {
  const { hidden, control } = tiny();
  const reg = synapticScaling({ alpha: 1, rate: 0.01, maxStep: 0.6, warmup: 3 });
  // One row per step. r̂ after 3 steps (exact averages while 1/seen > rate): 2, 0.5, 1, 0.5; set point r = 1.
  const steps = [[[1, 0.5, 1, 0.5]], [[2, 0.5, 1, 0.5]], [[3, 0.5, 1, 0.5]]];
  const seen: number[][] = [];
  drive(reg, control, steps, () => seen.push(Array.from(hidden.weight.data)));
  close(seen[0], scaledRows([1, 1, 1, 1]), "step 1 (warmup)");
  close(seen[1], scaledRows([1, 1, 1, 1]), "step 2 (warmup)");
  assert.equal((reg.getState() as { target: number }[])[0].target, 1);
  close((reg.getState() as { rHat: Float64Array }[])[0].rHat, [2, 0.5, 1, 0.5], "r̂");
  // α = 1: factors 1/2, 2 → 1.6 (maxStep 0.6), 1, 2 → 1.6.
  close(seen[2], scaledRows([0.5, 1.6, 1, 1.6]), "step 3");
});

test("intrinsic plasticity: gain 1 + clamp(η(σ/s − 1), ±η) on the incoming row, bias g·b + η(μ − m)", () => {
  const { hidden, out, control } = tiny();
  const eta = 0.1;
  // statsRate 1: m and s are this batch's mean and (population) standard deviation.
  // Unit 0: m 2, s 1; unit 1: m 2, s 2; unit 2: silent (s 0); unit 3: m 1, s 0.5.
  const batch = [
    [1, 0, 0, 0.5],
    [3, 4, 0, 1.5],
  ];
  drive(intrinsicPlasticity({ targetMean: 1, targetStd: 1.5, rate: eta, statsRate: 1, warmup: 1 }), control, [
    batch,
  ]);
  // σ/s − 1 = 0.5, −0.25, (none: silent), 2 → gains 1.05, 0.975, 1, 1 + η (the ±η cap).
  const gain = [1 + eta * 0.5, 1 - eta * 0.25, 1, 1 + eta];
  const m = [2, 2, 0, 1];
  close(hidden.weight.data, scaledRows(gain), "incoming rows");
  close(
    hidden.bias!.data,
    B0.map((b, u) => gain[u] * b + eta * (1 - m[u])),
    "biases",
  );
  assert.deepEqual(Array.from(out.weight.data), W1.flat().map(Math.fround), "outgoing weights untouched");
});

test("intrinsic plasticity: default targets are the layer's mean activation and mean unit spread once the warmup ends", () => {
  const { hidden, control } = tiny();
  const eta = 0.1;
  const reg = intrinsicPlasticity({ rate: eta, statsRate: 0.5, warmup: 2 });
  // Two units active, two silent. Step 1 sets the running sums (weight 1), step 2 averages in (weight ½):
  // unit 0: mean (1 + 3)/2 = 2, E[h²] (2 + 10)/2 = 6, spread √2; unit 1: mean 2, E[h²] (1 + 9)/2 = 5, spread 1.
  drive(reg, control, [
    [
      [0, 1, 0, 0],
      [2, 1, 0, 0],
    ],
  ]);
  close(hidden.weight.data, scaledRows([1, 1, 1, 1]), "warmup: untouched");
  drive(reg, control, [
    [
      [2, 3, 0, 0],
      [4, 3, 0, 0],
    ],
  ]);
  const [mu, sigma] = [(2 + 2 + 0 + 0) / 4, (Math.SQRT2 + 1 + 0 + 0) / 4];
  const s = (reg.getState() as { targetMean: number; targetStd: number }[])[0];
  close([s.targetMean, s.targetStd], [mu, sigma], "targets");
  const gain = [1 + eta * (sigma / Math.SQRT2 - 1), 1 + eta * (sigma / 1 - 1), 1, 1];
  close(hidden.weight.data, scaledRows(gain), "incoming rows");
  close(
    hidden.bias!.data,
    B0.map((b, u) => gain[u] * b + eta * (mu - [2, 2, 0, 0][u])),
    "biases",
  );
});

test("ReDo: every F steps, units with E|h_i| / mean_k E|h_k| ≤ τ over the window get fresh weights, zero bias and outgoing weights, zero moments", () => {
  const { hidden, out, control } = tiny();
  const reg = redo({ tau: 0.2, every: 3, seed: 5 });
  const before = copyMoments(control);
  // Mean |h| per batch: [2, 1, 0.1, 2], then [2, 1, 0.1, 0] twice. Window sums 6, 3, 0.3, 2 (mean 2.825):
  // scores 2.12, 1.06, 0.106, 0.71 — only unit 2 is dormant. (Unit 3 is silent in the last batch only;
  // unit 1 averages to zero but not in |h|.)
  const a = [
    [2, 1, 0.1, 2],
    [2, -1, 0.1, 2],
  ];
  const b = [
    [2, 1, 0.1, 0],
    [2, -1, 0.1, 0],
  ];
  drive(reg, control, [a, b]);
  assert.equal(reg.recycled(), 0, "no round before step F");
  close(hidden.weight.data, scaledRows([1, 1, 1, 1]), "untouched before step F");
  drive(reg, control, [b]);
  assert.equal(reg.recycled(), 1);
  const fresh = Array.from(initialize(hidden.init, 2, 2, 4, new Rng(5).fork("redo")));
  close(
    hidden.weight.data,
    [...W0[0], ...W0[1], ...fresh, ...W0[3]],
    "unit 2's incoming row is fresh, the rest kept",
  );
  assert.deepEqual(Array.from(hidden.bias!.data), [0.1, 0.2, 0, 0.4].map(Math.fround));
  assert.deepEqual(
    Array.from(out.weight.data),
    W1.flatMap((r) => r.map((w, u) => (u === 2 ? 0 : w))).map(Math.fround),
  );
  assertMomentsZeroedFor(control, before, [2]);
  // The next window starts empty: unit 0, silent in steps 4–6 only, is dormant there despite its past.
  const c = [[0, 1, 1, 1]];
  drive(reg, control, [c, c]);
  assert.equal(reg.recycled(), 1);
  drive(reg, control, [c]);
  assert.equal(reg.recycled(), 2);
  assert.equal(hidden.bias!.data[0], 0);
});

test("ReDo with sample 2 asks for and scores every 2nd step only, whatever activations the others carry", () => {
  const { hidden, control } = tiny();
  const reg = redo({ tau: 0.2, every: 4, sample: 2, seed: 5 });
  // Steps 1 and 3 (not sampled) [0, 1, 1, 5], steps 2 and 4 (sampled) [2, 1, 1, 0]. Sampled sums 4, 2, 2, 0
  // (mean 2): scores 2, 1, 1, 0, so unit 3 is dormant. Scored on all four steps the sums would be 4, 4, 4, 10
  // (mean 5.5, lowest score 0.73): nothing recycled.
  const [off, on] = [[[0, 1, 1, 5]], [[2, 1, 1, 0]]];
  const asked: (boolean | "outputs")[] = [];
  drive(reg, control, [off, on, off, on], () => asked.push(reg.wantsActivations!));
  // Read after each step, i.e. for the next one: steps 2, 3, 4, 5 (the round restarts after step 4).
  assert.deepEqual(asked, [true, false, true, false]);
  assert.equal(reg.recycled(), 1);
  assert.deepEqual(Array.from(hidden.bias!.data), [0.1, 0.2, 0.3, 0].map(Math.fround));
});

test("ReDo with τ = 0 recycles a unit whose score is exactly 0 (s_i ≤ τ, not <)", () => {
  const { hidden, control } = tiny();
  const reg = redo({ tau: 0, every: 1 });
  drive(reg, control, [[[0, 1, 2, 3]]]);
  assert.equal(reg.recycled(), 1);
  assert.deepEqual(Array.from(hidden.bias!.data), [0, 0.2, 0.3, 0.4].map(Math.fround));
});

test("continual backprop: utility u ← ηu + (1−η)·mean|w_out|·|h − ĥ|/mean|w_in|, maturity, ρ per step, bias takes ĥ·w_out", () => {
  const model = new Sequential([new Dense(2, { activation: "relu" }), new Dense(2)]).build(2, new Rng(1));
  const [hidden, out] = model.layers as Dense[];
  // mean|w_in| = 2 and 0.5; mean|w_out| (columns) = 3 and 0.5.
  setDense(
    hidden,
    [
      [1, -3],
      [0.5, 0.5],
    ],
    [0.3, -0.1],
  );
  setDense(
    out,
    [
      [2, 0],
      [-4, 1],
    ],
    [0.1, -0.2],
  );
  const control = testControl(model);
  const before = copyMoments(control);
  const eta = 0.75;
  const reg = continualBackprop({ decay: eta, replacementRate: 0.5, maturity: 1, seed: 3 });
  // A twin that never replaces shows the utilities the replacement is chosen by.
  const twin = continualBackprop({ decay: eta, replacementRate: 1e-9, maturity: 1 });
  const both: Observer = {
    onTrainBegin: (c) => {
      twin.onTrainBegin!(c);
      reg.onTrainBegin!(c);
    },
    onBatchEnd: (e, c) => {
      twin.onBatchEnd!(e, c);
      reg.onBatchEnd!(e, c);
    },
  };
  type CbpState = { layers: { utility: Float64Array; mean: Float64Array; age: Float64Array }[] };
  const state = (r: typeof reg) => (r.getState() as CbpState).layers[0];
  // Step 1: running means 0.25·2 for both units, ĥ = 0.5 / (1 − 0.75) = 2; |h − ĥ| averages 1 and 0.
  drive(both, control, [
    [
      [1, 2],
      [3, 2],
    ],
  ]);
  close(state(reg).utility, [(1 - eta) * ((3 * 1) / 2), 0], "utility after step 1");
  assert.equal(reg.replaced(), 0, "no unit is mature (age 1, maturity 1)");
  // Step 2: means 0.75·0.5 + 0.25·1 = 0.625 and 0.75·0.5 + 0.25·3 = 1.125, ĥ = mean / (1 − 0.75²);
  // |h − ĥ| averages 1 and 2: utilities 0.75·0.375 + 0.25·(3·1/2) and 0 + 0.25·(0.5·2/0.5).
  drive(both, control, [
    [
      [0, 1],
      [2, 5],
    ],
  ]);
  const u0 = 0.75 * 0.375 + 0.25 * 1.5;
  close(state(twin).utility, [u0, 0.25 * ((0.5 * 2) / 0.5)], "utilities at step 2");
  assert.equal(
    reg.replaced(),
    1,
    "ρ · 2 mature units = 1 replacement, the lowest utility (unit 1: 0.5 < 0.656)",
  );
  close(state(reg).utility, [u0, 0], "unit 1's utility reset");
  close(state(reg).mean, [0.625, 0], "running means (unit 1's reset)");
  assert.deepEqual(Array.from(state(reg).age), [2, 0]);
  const hHat1 = 1.125 / (1 - eta ** 2);
  close(out.bias!.data, [0.1 + hHat1 * 0, -0.2 + hHat1 * 1], "next layer's bias absorbs ĥ · w_out");
  assert.deepEqual(Array.from(out.weight.data), [2, 0, -4, 0], "outgoing column of unit 1 zeroed");
  const fresh = Array.from(initialize(hidden.init, 2, 2, 2, new Rng(3).fork("cbp")));
  close(hidden.weight.data, [1, -3, ...fresh], "unit 1's incoming row is fresh");
  assert.deepEqual(Array.from(hidden.bias!.data), [0.3, 0].map(Math.fround));
  assertMomentsZeroedFor(control, before, [1]);
  // Fractions owed carry over. Step 3: only unit 0 is mature (the new unit 1 has age 1): 0.5 owed, nothing
  // replaced. Step 4: 0.5 + 1 owed → unit 1 again (utility 0: no outgoing weights), 0.5 left. Step 5: unit 0
  // alone is mature, 0.5 + 0.5 owed → unit 0.
  const replacedAfter = [3, 4, 5].map(() => {
    drive(reg, control, [[[1, 1]]]);
    return reg.replaced();
  });
  assert.deepEqual(replacedAfter, [1, 2, 3]);
  assert.deepEqual(Array.from(state(reg).age), [0, 1]);
});

test("continual backprop's defaults: η = 0.99 (u = 0.01 · contribution after one step), maturity 100", () => {
  const model = new Sequential([new Dense(2, { activation: "relu" }), new Dense(2)]).build(2, new Rng(1));
  const [hidden, out] = model.layers as Dense[];
  setDense(
    hidden,
    [
      [1, -3],
      [0.5, 0.5],
    ],
    [0, 0],
  );
  setDense(
    out,
    [
      [2, 0],
      [-4, 1],
    ],
    [0, 0],
  );
  const control = testControl(model);
  const reg = continualBackprop();
  drive(reg, control, [
    [
      [1, 2],
      [3, 2],
    ],
  ]);
  close(
    (reg.getState() as { layers: { utility: Float64Array }[] }).layers[0].utility,
    [0.01 * 1.5, 0],
    "utility",
    1e-9,
  );
  const owed = () => (reg.getState() as { layers: { owed: number }[] }).layers[0].owed;
  drive(
    reg,
    control,
    Array.from({ length: 99 }, () => [
      [1, 2],
      [3, 2],
    ]),
  );
  assert.equal(owed(), 0, "age 100 is not yet mature");
  drive(reg, control, [
    [
      [1, 2],
      [3, 2],
    ],
  ]);
  close([owed()], [1e-4 * 2], "step 101: ρ = 1e-4 per mature unit", 1e-9);
  assert.equal(reg.replaced(), 0);
});

test("shrink-and-perturb: θ ← (1 − shrink)·θ + noise·ε, ε the seeded stream over the parameters in order", () => {
  const { model, control } = tiny();
  const theta = model.parameters().map(([, t]) => Array.from(t.data));
  const eps = new Rng(9).fork("shrink-perturb");
  drive(shrinkPerturb({ shrink: 0.25, noise: 0.5, seed: 9 }), control, [[[0, 0, 0, 0]], [[0, 0, 0, 0]]]);
  for (let s = 0; s < 2; s++)
    for (const p of theta)
      for (let i = 0; i < p.length; i++) p[i] = Math.fround(0.75 * p[i] + 0.5 * eps.normal());
  assert.deepEqual(
    model.parameters().map(([, t]) => Array.from(t.data)),
    theta,
  );
});

test("L2-Init: λ‖θ − θ₀‖² with θ₀ the weights when training first began (not at a later fit), gradient 2λ(θ − θ₀)", () => {
  const { model, control } = tiny();
  const reg = l2Init({ lambda: 0.5 });
  const params = model.parameters();
  const theta0 = params.map(([, t]) => Array.from(t.data));
  reg.onTrainBegin!(control);
  params[0][1].data[1] += 1; // 0.weight[1]: 2 → 3
  params[3][1].data[0] -= 2; // 1.bias[0]: 0.5 → −1.5
  reg.onTrainBegin!(control); // a second task's fit: the anchor stays
  const term = reg.lossTerm!({ parameters: params } as unknown as LossContext, control)!;
  assert.ok(Math.abs(term.item() - 0.5 * (1 ** 2 + 2 ** 2)) < 1e-6, `penalty ${term.item()}`);
  const grads = grad(
    term,
    params.map(([, t]) => t),
  );
  grads.forEach((g, k) =>
    close(
      g.data,
      Array.from(params[k][1].data, (v, i) => 2 * 0.5 * (v - theta0[k][i])),
      `gradient of ${params[k][0]}`,
    ),
  );
});
