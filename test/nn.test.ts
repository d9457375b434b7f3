import assert from "node:assert/strict";
import { test } from "node:test";
import { initialize, INIT_NAMES, resolveInit } from "../src/nn/init.js";
import { Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { Sequential, layerFromConfig } from "../src/nn/sequential.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

test("initialisers draw from the distributions their papers give (moments against closed forms)", () => {
  const fanIn = 300,
    fanOut = 100,
    n = 200_000;
  const expectedVariance: Record<string, number> = {
    glorotUniform: 2 / (fanIn + fanOut),
    glorotNormal: 2 / (fanIn + fanOut),
    heUniform: 2 / fanIn,
    heNormal: 2 / fanIn,
    lecunUniform: 1 / fanIn,
    lecunNormal: 1 / fanIn,
    zeros: 0,
  };
  for (const name of INIT_NAMES) {
    const w = initialize(name, n, fanIn, fanOut, new Rng(1));
    let mean = 0,
      sq = 0,
      maxAbs = 0;
    for (const v of w) {
      mean += v;
      sq += v * v;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    mean /= n;
    const variance = sq / n - mean * mean;
    const target = expectedVariance[name];
    if (target === 0) {
      assert.equal(maxAbs, 0);
      continue;
    }
    // Sampling error of a variance estimate is about √(2/n) relative for normal, less for uniform.
    assert.ok(Math.abs(variance - target) / target < 0.02, `${name}: variance ${variance} vs ${target}`);
    assert.ok(Math.abs(mean) < 4 * Math.sqrt(target / n), `${name}: mean ${mean}`);
    if (name.endsWith("Uniform")) assert.ok(maxAbs <= Math.sqrt(3 * target) + 1e-7, `${name}: bound`);
  }
  assert.equal(resolveInit("he"), "heNormal");
  assert.throws(() => resolveInit("kaiming-ish"), ConfigError);
});

test("parameters have stable names, and the same seed gives the same initial weights", () => {
  const make = (seed: number) =>
    new Sequential([
      new Dense(5, { activation: "relu" }),
      new Dropout(0.5),
      new LayerNorm(),
      new Dense(2, { useBias: false }),
    ]).build(3, new Rng(seed));
  const m = make(4);
  assert.deepEqual(
    m.parameters().map(([n, t]) => [n, [...t.shape]]),
    [
      ["0.weight", [5, 3]],
      ["0.bias", [5]],
      ["2.weight", [5]],
      ["2.bias", [5]],
      ["3.weight", [2, 5]],
    ],
  );
  assert.deepEqual(
    make(4)
      .parameters()
      .map(([, t]) => Array.from(t.data)),
    m.parameters().map(([, t]) => Array.from(t.data)),
  );
  assert.notDeepEqual(make(5).parameters()[0][1].data, m.parameters()[0][1].data);
  assert.equal(m.parameterCount(), 15 + 5 + 5 + 5 + 10);
  assert.equal(m.outputActivation(), "identity");
});

test("layer configs round-trip and bad ones name the field", () => {
  const m = new Sequential([
    new Dense(4, { activation: "tanh", init: "lecunUniform" }),
    new Dropout(0.2),
    new Dense(2, { activation: "softmax" }),
  ]).build(3, new Rng(0));
  const again = Sequential.fromLayerConfigs(m.config().layers);
  assert.deepEqual(again.build(3, new Rng(0)).config(), m.config());
  assert.equal(m.outputActivation(), "softmax");
  assert.throws(
    () => layerFromConfig({ type: "dense", units: 0 }, "model.layers[1]"),
    (e: Error) => e instanceof ConfigError && /model\.layers\[1\]\.units/.test(e.message),
  );
  assert.throws(
    () => layerFromConfig({ type: "dense", units: 3, actvation: "relu" }, "model.layers[0]"),
    (e: Error) => /model\.layers\[0\]\.actvation: unknown key/.test(e.message),
  );
  assert.throws(
    () => layerFromConfig({ type: "conv3d" }, "model.layers[2]"),
    (e: Error) => /model\.layers\[2\]\.type/.test(e.message),
  );
});
