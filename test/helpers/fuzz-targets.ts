import { parseRunConfig } from "../../src/cli/config.js";
import { exportOnnx, importOnnx } from "../../src/io/onnx.js";
import { exportTfjs, importTfjs } from "../../src/io/tfjs.js";
import { exportSafetensors, importSafetensors } from "../../src/io/safetensors.js";
import { Activation } from "../../src/nn/layers.js";
import { parseCsv } from "../../src/data/csv.js";
import { columnIndex, numericColumns, readTable } from "../../src/data/rows.js";
import { parseIdx } from "../../src/data/idx.js";
import { decodeModel, encodeModel } from "../../src/io/model.js";
import { Dense, Dropout, LayerNorm } from "../../src/nn/layers.js";
import { Sequential } from "../../src/nn/sequential.js";
import { adam } from "../../src/optim/optimizers.js";
import { Rng } from "../../src/tensor/rng.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { fit, type TrainingState } from "../../src/train/fit.js";
import type { FuzzTarget } from "./fuzz.js";
import { crc32 } from "../../src/io/crc32.js";
import { readFileSync } from "node:fs";
import { Concat, Residual } from "../../src/nn/blocks.js";
import { Conv2D } from "../../src/nn/conv.js";
import { BatchNorm } from "../../src/nn/norm-layers.js";
import { MaxPool2D } from "../../src/nn/pooling.js";
import { Flatten } from "../../src/nn/reshape.js";
import { fixturePath } from "./fixtures.js";

/** A small conv graph with every block the ONNX import maps: conv, norm, pool, residual, concat, flatten. */
function shapedSeed(): Sequential {
  return new Sequential([
    new Conv2D(2, { padding: "same", activation: "relu" }),
    new BatchNorm(),
    new Residual([new Conv2D(3, { stride: 2, padding: "same" })]),
    new Concat([[new Conv2D(2, { kernel: 1 })], [new MaxPool2D({ pool: 3, stride: 1, padding: "same" })]]),
    new Flatten(),
    new Dense(2),
  ]).build([4, 4, 1], new Rng(3));
}

/** Recompute a model file's trailing CRC so that mutations reach the header and payload checks. */
function fixCrc(b: Uint8Array): Uint8Array {
  if (b.length < 16) return b;
  const out = b.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

const ODD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1e308,
  -1e-308,
  0.5,
  2 ** 53,
  "",
  "x",
  "mnist",
  [],
  [1, 2],
  {},
  { type: "dense" },
  NaN,
];

/** Structural edits of a JSON document: replace, delete or add values anywhere in the tree. */
function mutateJson(seed: Uint8Array, rng: Rng): Uint8Array {
  const doc = JSON.parse(decodeText(seed)) as unknown;
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    // Walk to a random container.
    let node = doc as Record<string, unknown>;
    for (let depth = 0; depth < 4; depth++) {
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const next = node[keys[rng.int(keys.length)]];
      if (next === null || typeof next !== "object" || rng.int(3) === 0) break;
      node = next as Record<string, unknown>;
    }
    const keys = Object.keys(node);
    const choice = rng.int(3);
    const value = structuredClone(ODD_VALUES[rng.int(ODD_VALUES.length)]);
    if (choice === 0 && keys.length) node[keys[rng.int(keys.length)]] = value;
    else if (choice === 1 && keys.length) delete node[keys[rng.int(keys.length)]];
    else node[Array.isArray(node) ? String(node.length) : `k${rng.int(5)}`] = value;
  }
  return text(JSON.stringify(doc));
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decodeText = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A safetensors file with its JSON header edited structurally (and its length field rewritten to fit), data kept. */
function mutateSafetensorsHeader(seed: Uint8Array, rng: Rng): Uint8Array {
  const n = Number(new DataView(seed.buffer, seed.byteOffset).getBigUint64(0, true));
  const header = mutateJson(seed.subarray(8, 8 + n), rng);
  const out = new Uint8Array(8 + header.length + seed.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(seed.subarray(8 + n), 8 + header.length);
  return out;
}

function idxFile(type: number, dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const dv = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

function smallModel(): { model: Sequential; state: TrainingState } {
  const model = new Sequential([
    new Dense(4, { activation: "relu" }),
    new LayerNorm(),
    new Dropout(0.1),
    new Dense(2, { activation: "softmax" }),
  ]).build(3, new Rng(0));
  const x = new Tensor(
    Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)),
    [4, 3],
  );
  const y = new Tensor(Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]), [4, 2]);
  let state: TrainingState | undefined;
  fit(
    model,
    { x, y },
    {
      epochs: 1,
      batchSize: 2,
      optimizer: adam({ lr: 0.01 }),
      loss: "crossEntropy",
      seed: 1,
      checkpoint: {
        every: 1,
        save: (s) => {
          state = structuredClone(s);
        },
      },
    },
  );
  return { model, state: state! };
}

/** Every parser a user's file reaches, with valid seed inputs. (The importer tests also fuzz foreign ONNX graphs and TF.js weights.) */
export function fuzzTargets(): FuzzTarget[] {
  const { model, state } = smallModel();
  const modelBytes = encodeModel(model, { loss: "crossEntropy", classes: ["a", "b"] });
  const checkpointBytes = encodeModel(model, {
    checkpoint: { state: state as unknown as Record<string, unknown>, config: {}, configDir: "/" },
  });
  const config = {
    seed: 1,
    data: { format: "csv", path: "d.csv", target: "y", normalize: "standardize" },
    model: {
      layers: [
        { type: "dense", units: 4, activation: "relu" },
        { type: "dense", units: 2, activation: "softmax" },
      ],
    },
    loss: "crossEntropy",
    optimizer: { type: "adam", lr: 0.001 },
    schedule: { type: "step", stepSize: 2 },
    epochs: 3,
    batchSize: 8,
    checkpoint: { every: 10 },
  };
  const mixed = new Sequential([
    new Dense(5, { activation: "gelu" }),
    new LayerNorm(),
    new Dropout(0.2),
    new Dense(4, { activation: "leakyRelu" }),
    new Activation("tanh"),
    new Dense(3, { activation: "softmax" }),
  ]).build(3, new Rng(2));
  const tfjs = exportTfjs(mixed);
  const st = exportSafetensors(model, {
    weightsFile: "fuzz.safetensors",
    optimizer: { type: "adam", lr: 0.01, options: adam({ lr: 0.01 }).options, state: state.optimizerState },
  });
  return [
    {
      // The container and the architecture stored in it (import without --arch), then the names and shapes.
      name: "safetensors weights",
      seeds: [exportSafetensors(mixed, { weightsFile: "m.safetensors" }).weights, st.weights],
      mutate: mutateSafetensorsHeader,
      parse: (b) => importSafetensors(b, null, "fuzz.safetensors"),
    },
    {
      name: "safetensors optimiser state",
      seeds: [st.optimizer!],
      mutate: mutateSafetensorsHeader,
      parse: (b) =>
        importSafetensors(st.weights, null, "fuzz.safetensors", {
          bytes: b,
          file: "fuzz.optimizer.safetensors",
        }),
    },
    {
      name: "ONNX importer",
      // Dense chains, a conv graph of Homeostat's (channels last) and PyTorch's backbone (channels first).
      seeds: [
        exportOnnx(mixed),
        exportOnnx(model),
        exportOnnx(shapedSeed()),
        readFileSync(fixturePath("backbone", "backbone.onnx")),
      ],
      parse: (b) => importOnnx(b, "fuzz.onnx"),
    },
    {
      name: "TF.js importer (model.json)",
      seeds: [text(JSON.stringify(tfjs.modelJson))],
      parse: (b) => importTfjs(decodeText(b), tfjs.weights, "fuzz/model.json"),
      mutate: mutateJson,
    },
    { name: "model file", seeds: [modelBytes], parse: (b) => decodeModel(b, "fuzz.hmst"), repair: fixCrc },
    {
      name: "checkpoint",
      seeds: [checkpointBytes],
      parse: (b) => decodeModel(b, "fuzz.ckpt"),
      repair: fixCrc,
    },
    {
      name: "IDX",
      seeds: [
        idxFile(
          0x08,
          [3, 2, 2],
          Uint8Array.from({ length: 12 }, (_, i) => i * 20),
        ),
        idxFile(0x08, [3], Uint8Array.of(1, 2, 3)),
        idxFile(0x0d, [2, 2], new Uint8Array(16)),
      ],
      parse: (b) => parseIdx(b, "fuzz.idx"),
    },
    {
      name: "CSV",
      seeds: [text('a,b,y\n1,2,red\n3.5,-4e2,"blue"\n5,6,red\n'), text("x,y\n1,2\n3,4\n")],
      parse: (b) => parseCsv(decodeText(b), { file: "fuzz.csv", target: "y" }),
    },
    {
      // What predict reads: CSV with or without a header, JSON arrays, objects or JSON Lines, matched to
      // the model's features by name (or by position) and read as strict numbers.
      name: "row reader (predict input)",
      seeds: [
        text('b,a,c\n2,1,3\n"5.5",4,6e-3\n'),
        text("1,2,3\n4,,6\n"),
        text('[{"a":1,"b":2,"c":3},{"c":1,"a":2,"b":3}]'),
        text('{"x":[1,2,3],"y":"cat"}\n{"x":[4,5,6]}\n'),
        text("[[1,2,3],[4,5,6]]"),
      ],
      parse: (b) => {
        const table = readTable(decodeText(b), "fuzz.csv", "auto");
        return numericColumns(table, columnIndex(table, ["a", "b", "c"], ["t"]), ["a", "b", "c"], "keep");
      },
    },
    {
      name: "run config",
      seeds: [text(JSON.stringify(config)), text(JSON.stringify({ ...config, data: { builtin: "mnist" } }))],
      mutate: mutateJson,
      parse: (b) => {
        let raw: unknown;
        try {
          raw = JSON.parse(decodeText(b));
        } catch {
          return null;
        } // the CLI reports invalid JSON itself
        return parseRunConfig(raw, "/");
      },
    },
  ];
}
