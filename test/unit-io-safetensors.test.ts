/**
 * PyTorch weights through safetensors (src/io/safetensors.ts) at its edges, on state dicts built here:
 * where an architecture is found in a JSON document, the export's file names, the refusals of an
 * import (stored architecture, input width, counters, extra tensors) with their exact words, and
 * BatchNorm's I64 step counter.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  architectureOf,
  decodeSafetensors,
  encodeSafetensors,
  exportSafetensors,
  importSafetensors,
  type SafeTensor,
  safetensorsPaths,
} from "../src/io/safetensors.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError, ModelFileError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

const LAYERS = [{ type: "dense", units: 2, activation: "relu" }];
const t = (name: string, shape: number[], fill = 0.5): SafeTensor => ({
  name,
  dtype: "F32",
  shape,
  data: new Float32Array(shape.reduce((n, d) => n * d, 1)).fill(fill),
});
const DICT = [t("0.weight", [2, 3]), t("0.bias", [2])];
const refuses = (
  run: () => unknown,
  type: typeof ConfigError | typeof ModelFileError,
  message: string,
  where: Record<string, string> = {},
): void => {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof type, String(e));
    assert.equal(e.message, message);
    for (const [k, v] of Object.entries(where))
      assert.equal((e.location as Record<string, unknown>)[k], v, k);
    return true;
  });
};
/** A safetensors file with an I64 tensor written by hand beside F32 ones. */
function withI64(tensors: SafeTensor[], name: string, values: bigint[]): Uint8Array {
  const plain = encodeSafetensors(tensors);
  const headerLength = Number(new DataView(plain.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(plain.subarray(8, 8 + headerLength)));
  const data = plain.subarray(8 + headerLength);
  header[name] = {
    dtype: "I64",
    shape: [values.length],
    data_offsets: [data.length, data.length + 8 * values.length],
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length + 8 * values.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  values.forEach((v, i) => view.setBigInt64(8 + json.length + data.length + 8 * i, v, true));
  return out;
}

describe("architectureOf", () => {
  test("a run config's model, a model file's architecture, or a bare layer list", () => {
    assert.deepEqual(architectureOf({ model: { layers: LAYERS, inputDim: 3 } }, "run.json"), {
      layers: LAYERS,
      source: "run.json",
      inputDim: 3,
    });
    assert.deepEqual(architectureOf({ architecture: { layers: LAYERS, inputShape: [2, 2, 1] } }, "m"), {
      layers: LAYERS,
      source: "m",
      inputShape: [2, 2, 1],
    });
    assert.deepEqual(architectureOf({ layers: LAYERS }, "a.json"), { layers: LAYERS, source: "a.json" });
    // model wins over architecture when both are objects; an architecture that is not an object is skipped.
    assert.deepEqual(
      architectureOf({ model: { layers: [] }, architecture: { layers: LAYERS } }, "x").layers,
      [],
    );
    assert.deepEqual(architectureOf({ model: 3, architecture: [1], layers: LAYERS }, "x").layers, LAYERS);
  });

  test("refusals name the field", () => {
    const noLayers = 'x.json: expected a run config with model.layers, or {"layers": [...], "inputDim": N}';
    for (const json of [null, [LAYERS], { layers: {} }, { model: { layers: "d" } }])
      refuses(() => architectureOf(json, "x.json"), ConfigError, noLayers, {
        file: "x.json",
        field: "model.layers",
      });
    for (const inputDim of [0, 1.5, "3"])
      refuses(
        () => architectureOf({ layers: LAYERS, inputDim }, "x.json"),
        ConfigError,
        `x.json: inputDim: expected a positive integer, got ${JSON.stringify(inputDim)}`,
        { field: "inputDim" },
      );
    assert.equal(architectureOf({ layers: LAYERS, inputDim: 1 }, "x").inputDim, 1);
    for (const inputShape of [[], [2, 0], [1.5], "2"])
      refuses(
        () => architectureOf({ layers: LAYERS, inputShape }, "x.json"),
        ConfigError,
        `x.json: inputShape: expected positive integers, got ${JSON.stringify(inputShape)}`,
        { field: "inputShape" },
      );
    assert.deepEqual(architectureOf({ layers: LAYERS, inputShape: [1] }, "x").inputShape, [1]);
  });
});

describe("export", () => {
  test("file names beside the weights", () => {
    assert.deepEqual(safetensorsPaths("out/m.safetensors"), {
      weights: "out/m.safetensors",
      python: "out/m.py",
      optimizer: "out/m.optimizer.safetensors",
    });
    assert.deepEqual(safetensorsPaths("a.safetensors.b"), {
      weights: "a.safetensors.b",
      python: "a.safetensors.b.py",
      optimizer: "a.safetensors.b.optimizer.safetensors",
    });
  });

  test("an unbuilt model is refused; the Python module names its weights and describes the model", () => {
    refuses(
      () => exportSafetensors(Sequential.fromLayerConfigs(LAYERS as never), { weightsFile: "m.safetensors" }),
      ConfigError,
      "safetensors export: the model has no weights yet; call build(inputDim, rng) or train it first",
    );
    const model = Sequential.fromLayerConfigs(LAYERS as never).build(3, new Rng(1));
    const plain = exportSafetensors(model, { weightsFile: "dir/m.safetensors" });
    assert.match(plain.python, /A Homeostat model: 3 inputs, 1 layers\./);
    assert.match(plain.python, /m\.safetensors/);
    assert.equal(plain.optimizer, null);
    const described = exportSafetensors(model, { weightsFile: "m.safetensors", description: "Mine." });
    assert.match(described.python, /Mine\./);
    assert.doesNotMatch(described.python, /A Homeostat model/);
  });

  test("an optimiser file is named by its last path segment in the Python module", () => {
    const model = Sequential.fromLayerConfigs(LAYERS as never).build(3, new Rng(1));
    const optimizer = {
      type: "sgd",
      lr: 0.1,
      options: { momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false },
      state: [{ step: 1, momentumBuffer: [new Float32Array(6), new Float32Array(2)] }],
    };
    for (const weightsFile of ["out/run/m.safetensors", "out/run//m.safetensors", "m.safetensors"]) {
      const out = exportSafetensors(model, { weightsFile, optimizer });
      assert.ok(out.optimizer instanceof Uint8Array);
      assert.match(out.python, /["']m\.optimizer\.safetensors["']/);
      assert.doesNotMatch(out.python, /run\/+m\.optimizer/);
    }
  });
});

describe("export layout and metadata", () => {
  test("a conv weight is written in PyTorch's [filters, channels, kh, kw] order", () => {
    const model = Sequential.fromLayerConfigs([
      { type: "conv2d", filters: 1, kernel: [2, 2], activation: "identity" },
      { type: "flatten" },
    ] as never).build([3, 3, 2], new Rng(5));
    const weight = model.parameters().find(([name]) => name === "0.weight")![1];
    // Homeostat's row holds taps (ky, kx, c) at (ky·2 + kx)·2 + c: values 0..7 in that order.
    weight.data.set([0, 1, 2, 3, 4, 5, 6, 7]);
    const { weights } = exportSafetensors(model, { weightsFile: "c.safetensors" });
    const st = decodeSafetensors(weights);
    const w = st.tensors.find((t) => t.name === "0.weight")!;
    assert.deepEqual(w.shape, [1, 2, 2, 2]);
    // PyTorch's index c·4 + ky·2 + kx: channel 0's taps, then channel 1's.
    assert.deepEqual([...w.data], [0, 2, 4, 6, 1, 3, 5, 7]);
    assert.equal(st.metadata.format, "pt");
    const back = importSafetensors(weights, null, "c.safetensors").model;
    assert.deepEqual(
      [...back.parameters().find(([name]) => name === "0.weight")![1].data],
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
  });

  test("the input normalisation is named in the Python module when given", () => {
    const model = Sequential.fromLayerConfigs(LAYERS as never).build(3, new Rng(1));
    const named = exportSafetensors(model, {
      weightsFile: "m.safetensors",
      inputNormalization: "standardize",
    });
    assert.match(named.python, /normalised as in training \("standardize"/);
    assert.doesNotMatch(
      exportSafetensors(model, { weightsFile: "m.safetensors" }).python,
      /normalised as in training/,
    );
  });

  test("a stored architecture's own errors are placed in the file's metadata", () => {
    const stored = JSON.stringify({ layers: [{ type: "nope" }], inputDim: 3 });
    assert.throws(
      () => importSafetensors(encodeSafetensors(DICT, { homeostat_architecture: stored }), null, "m.st"),
      (e: unknown) =>
        e instanceof Error && e.message.startsWith("m.st: __metadata__.homeostat_architecture: layers"),
    );
  });
});

describe("import refusals", () => {
  const arch = { layers: LAYERS, source: "a.json" };

  test("a stored architecture that is not a layer list", () => {
    for (const text of ["{", '{"layers":3}'])
      refuses(
        () => importSafetensors(encodeSafetensors(DICT, { homeostat_architecture: text }), null, "m.st"),
        ModelFileError,
        "m.st: __metadata__.homeostat_architecture is not a layer list",
        { file: "m.st", field: "homeostat_architecture" },
      );
    const stored = JSON.stringify({ layers: LAYERS, inputDim: 3 });
    assert.equal(
      importSafetensors(encodeSafetensors(DICT, { homeostat_architecture: stored }), null, "m").model
        .inputDim,
      3,
    );
  });

  test("no architecture given or stored names the file", () => {
    refuses(
      () => importSafetensors(encodeSafetensors(DICT), null, "m.st"),
      ConfigError,
      "m.st: no architecture stored in the file; declare it with --arch (a run config's model section)",
      { file: "m.st" },
    );
  });

  test("no first weight, and an architecture without weights", () => {
    refuses(
      () => importSafetensors(encodeSafetensors([t("0.bias", [2])]), arch, "m.st"),
      ModelFileError,
      'm.st: missing tensor "0.weight" (the first layer\'s weight)',
      { layer: "0.weight" },
    );
    refuses(
      () =>
        importSafetensors(
          encodeSafetensors([]),
          { layers: [{ type: "activation", activation: "relu" }], source: "a.json" },
          "m.st",
        ),
      ConfigError,
      'a.json: the architecture has no weights; declare "inputDim" beside the layers',
      { file: "a.json" },
    );
    const declared = importSafetensors(
      encodeSafetensors([]),
      { layers: [{ type: "activation", activation: "relu" }], inputDim: 4, source: "a" },
      "m",
    );
    assert.equal(declared.model.inputDim, 4);
  });

  test("past ten layers, the layer named is the one of the tensor's own index", () => {
    const layers = [
      ...Array.from({ length: 10 }, () => ({ type: "dropout", rate: 0.1 })),
      { type: "dense", units: 2 },
    ];
    refuses(
      () =>
        importSafetensors(
          encodeSafetensors([t("10.weight", [2, 3])]),
          { layers, inputDim: 3, source: "a" },
          "m.st",
        ),
      ModelFileError,
      'm.st: missing tensor "10.bias" (layer 10 (dense), shape [2])',
    );
  });

  test("a tensor with fewer dimensions than needed is refused, though its sizes start alike", () => {
    refuses(
      () =>
        importSafetensors(
          encodeSafetensors([t("0.weight", [2]), t("0.bias", [2])]),
          { ...arch, inputDim: 3 },
          "m.st",
        ),
      ModelFileError,
      'm.st: tensor "0.weight" has shape [2], but layer 0 (dense) of the declared architecture needs [2,3]',
    );
  });

  test("a missing tensor names its PyTorch shape; a shape of another rank is refused", () => {
    refuses(
      () => importSafetensors(encodeSafetensors([t("0.weight", [2, 3])]), arch, "m.st"),
      ModelFileError,
      'm.st: missing tensor "0.bias" (layer 0 (dense), shape [2])',
      { layer: "0.bias" },
    );
    refuses(
      () => importSafetensors(encodeSafetensors([t("0.weight", [2, 3]), t("0.bias", [2, 1])]), arch, "m.st"),
      ModelFileError,
      'm.st: tensor "0.bias" has shape [2,1], but layer 0 (dense) of the declared architecture needs [2]',
      { layer: "0.bias" },
    );
  });

  test("extra tensors: one, several, more than four, and a model without parameters", () => {
    const extra = (n: number) => Array.from({ length: n }, (_, i) => t(`x${i}`, [1]));
    refuses(
      () => importSafetensors(encodeSafetensors([...DICT, ...extra(1)]), arch, "m.st"),
      ModelFileError,
      'm.st: tensor "x0" not in the declared architecture, which has 0.weight, 0.bias',
      { layer: "x0" },
    );
    refuses(
      () => importSafetensors(encodeSafetensors([...DICT, ...extra(5)]), arch, "m.st"),
      ModelFileError,
      'm.st: tensors "x0", "x1", "x2", "x3", … not in the declared architecture, which has 0.weight, 0.bias',
    );
    refuses(
      () => importSafetensors(encodeSafetensors([...DICT, ...extra(4)]), arch, "m.st"),
      ModelFileError,
      'm.st: tensors "x0", "x1", "x2", "x3" not in the declared architecture, which has 0.weight, 0.bias',
    );
    refuses(
      () =>
        importSafetensors(
          encodeSafetensors(extra(1)),
          { layers: [{ type: "activation", activation: "relu" }], inputDim: 2, source: "a" },
          "m.st",
        ),
      ModelFileError,
      'm.st: tensor "x0" not in the declared architecture, which has no parameters',
    );
  });
});

describe("BatchNorm's step counter", () => {
  const bnArch = { layers: [{ type: "batchNorm" }], inputDim: 2, source: "a.json" };
  const model = Sequential.fromLayerConfigs(bnArch.layers as never).build(2, new Rng(0));
  const weights = exportSafetensors(model, { weightsFile: "m.safetensors" }).weights;
  const f32Only = (): SafeTensor[] => {
    const text = new TextDecoder().decode(
      weights.subarray(8, 8 + Number(new DataView(weights.buffer).getBigUint64(0, true))),
    );
    const header = JSON.parse(text) as Record<string, { shape: number[] }>;
    return Object.entries(header)
      .filter(([name]) => name !== "__metadata__" && !name.endsWith("num_batches_tracked"))
      .map(([name, e]) => t(name, e.shape, 1));
  };

  test("one count of at least 0 is accepted and ignored", () => {
    for (const count of [0n, 5n])
      importSafetensors(withI64(f32Only(), "0.num_batches_tracked", [count]), bnArch, "m.st");
  });

  test("a negative count or several values are refused, showing at most four", () => {
    refuses(
      () => importSafetensors(withI64(f32Only(), "0.num_batches_tracked", [-1n]), bnArch, "m.st"),
      ModelFileError,
      'm.st: tensor "0.num_batches_tracked" (I64, shape [1]): expected one batch count of at least 0, as PyTorch\'s BatchNorm keeps, got [-1]',
      { layer: "0.num_batches_tracked" },
    );
    refuses(
      () =>
        importSafetensors(withI64(f32Only(), "0.num_batches_tracked", [1n, 2n, 3n, 4n, 5n]), bnArch, "m.st"),
      ModelFileError,
      'm.st: tensor "0.num_batches_tracked" (I64, shape [5]): expected one batch count of at least 0, as PyTorch\'s BatchNorm keeps, got [1, 2, 3, 4, …]',
    );
    refuses(
      () => importSafetensors(withI64(f32Only(), "0.num_batches_tracked", [1n, 2n, 3n, 4n]), bnArch, "m.st"),
      ModelFileError,
      'm.st: tensor "0.num_batches_tracked" (I64, shape [4]): expected one batch count of at least 0, as PyTorch\'s BatchNorm keeps, got [1, 2, 3, 4]',
    );
  });

  test("an I64 tensor under another name is refused as a dtype Homeostat does not read", () => {
    assert.throws(
      () => importSafetensors(withI64(f32Only(), "0.steps", [1n]), bnArch, "m.st"),
      (e: unknown) => e instanceof ModelFileError && /"0\.steps" is I64/.test(e.message),
    );
  });
});
