/**
 * The TF.js importer under fuzzing (split from export-tfjs.test.ts): mutated and random model.json +
 * weights pairs, flat and shaped, must give a model or one of Homeostat's own errors.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { exportTfjs, importTfjs } from "../src/io/tfjs.js";
import { Residual } from "../src/nn/blocks.js";
import { Conv2D } from "../src/nn/conv.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { BatchNorm } from "../src/nn/norm-layers.js";
import { Flatten } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { fuzz, type FuzzTarget, mutate } from "./helpers/fuzz.js";
import { built } from "./helpers/models.js";

// ---------------------------------------------------------------- fuzzing

const ODD: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  0.5,
  0.01,
  2 ** 53,
  "",
  "relu",
  "Dense",
  "__proto__",
  [],
  [null, 3],
  [1e9, 1e9],
  {},
  { class_name: "Dense", config: {} },
];

/** Structural edits of the JSON part: replace, delete or add values anywhere in the tree. */
function mutateBundle(seed: Uint8Array, rng: Rng): Uint8Array {
  const { json, weights } = unbundle(seed);
  const doc = JSON.parse(new TextDecoder().decode(json)) as Record<string, unknown>;
  for (let e = 1 + rng.int(3); e > 0; e--) {
    let node: Record<string, unknown> = doc;
    for (let depth = 0; depth < 8; depth++) {
      const keys = Object.keys(node);
      const next = keys.length ? node[keys[rng.int(keys.length)]] : null;
      if (next === null || typeof next !== "object" || rng.int(4) === 0) break;
      node = next as Record<string, unknown>;
    }
    const keys = Object.keys(node);
    const value = structuredClone(ODD[rng.int(ODD.length)]);
    const choice = rng.int(3);
    if (choice === 0 && keys.length) node[keys[rng.int(keys.length)]] = value;
    else if (choice === 1 && keys.length) delete node[keys[rng.int(keys.length)]];
    else
      node[
        Array.isArray(node)
          ? String(node.length)
          : ["name", "units", "alpha", "rate", "axis", "shape", "dtype", "k", "filters", "kernel"][
              rng.int(10)
            ]
      ] = value;
  }
  return bundle(new TextEncoder().encode(JSON.stringify(doc)), weights);
}

/** One fuzz input holds model.json and the weights: a 4-byte length, the JSON text, then the weights. */
function bundle(json: Uint8Array, weights: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + json.length + weights.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(weights, 4 + json.length);
  return out;
}

function unbundle(b: Uint8Array): { json: Uint8Array; weights: Uint8Array } {
  const n =
    b.length >= 4 ? Math.min(new DataView(b.buffer, b.byteOffset).getUint32(0, true), b.length - 4) : 0;
  return { json: b.subarray(4, 4 + n), weights: b.subarray(4 + n) };
}

test("fuzz TF.js importer: 3,000 mutated and random inputs, only Homeostat's own errors", () => {
  const seedOf = (m: Sequential): Uint8Array => {
    const { modelJson, weights } = exportTfjs(m);
    return bundle(new TextEncoder().encode(JSON.stringify(modelJson)), weights);
  };
  const target: FuzzTarget = {
    name: "tfjs",
    seeds: [
      seedOf(
        built(
          [
            new Dense(9, { activation: "gelu", init: "lecunUniform" }),
            new LayerNorm(),
            new Dropout(0.2),
            new Dense(6, { activation: "leakyRelu" }),
            new Activation("tanh"),
            new Dense(4, { activation: "softmax", init: "zeros" }),
          ],
          6,
        ),
      ),
      seedOf(
        built(
          [
            new Dense(3, { activation: "selu", useBias: false }),
            new Activation("leakyRelu"),
            new Dropout(0.1),
          ],
          2,
        ),
      ),
      // A shaped export: its metadata rebuilds the model (tfjs-import-shaped.ts), so mutated configs reach it.
      seedOf(
        new Sequential([
          new Conv2D(2, { kernel: 2, padding: "same", activation: "relu" }),
          new BatchNorm(),
          new Residual([new Conv2D(2, { kernel: 1 })]),
          new Flatten(),
          new Dense(2),
        ]).build([3, 3, 1], new Rng(4)),
      ),
    ],
    parse: (b) => {
      const { json, weights } = unbundle(b);
      return importTfjs(json, weights, "fuzz.json");
    },
    // Half the mutants lose the weights' CRC, so byte-level damage reaches the weight checks.
    repair: (b) => {
      const { json, weights } = unbundle(b);
      const text = new TextDecoder().decode(json).replace(/"weightsCrc32":\d+/, `"weightsCrc32":"x"`);
      return bundle(new TextEncoder().encode(text), weights);
    },
    mutate: (seed, rng) => (rng.int(4) === 0 ? mutate(seed, rng) : mutateBundle(seed, rng)),
  };
  const t0 = performance.now();
  const r = fuzz(target, 3000, 13);
  console.log(
    `fuzz tfjs: ${r.inputs} inputs, ${r.accepted} accepted, ${r.refused} refused, ${r.crashes.length} crashes, slowest ${r.slowestMs.toFixed(1)} ms, total ${(performance.now() - t0).toFixed(0)} ms`,
  );
  assert.deepEqual(r.crashes, []);
  assert.ok(r.refused > 300 && r.accepted > 100, `refused ${r.refused}, accepted ${r.accepted}`);
});
