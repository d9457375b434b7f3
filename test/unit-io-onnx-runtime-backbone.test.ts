/**
 * OnnxRuntimeBackbone over a stand-in ONNX Runtime session (never the real runtime): the feeds it
 * makes, the embeddings and fingerprint it returns, and each refusal word for word with the option
 * it names, from bytes and inputShape to an output that is not one vector per row.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxRuntimeBackbone, type OrtTensorLike } from "../src/io/onnx-runtime-backbone.js";

/** What `new ort.Tensor("float32", data, dims)` keeps. */
class FeedTensor {
  constructor(
    readonly type: string,
    readonly data: Float32Array,
    readonly dims: readonly number[],
  ) {}
}

type Reply = (x: Float32Array, rows: number) => Record<string, OrtTensorLike>;

/** A session with the given names that answers each run with `reply` and keeps the feeds it got. */
function standIn(reply: Reply, inputNames = ["pixels"], outputNames = ["features"]) {
  const feeds: FeedTensor[] = [];
  const run = async (f: Record<string, unknown>) => {
    const feed = f[inputNames[0]!] as FeedTensor;
    feeds.push(feed);
    return reply(feed.data, feed.dims[0]!);
  };
  return { inputNames, outputNames, feeds, run };
}

/** Rows of two values (a, b) to "features" (a + b, a − b) shaped [rows, 2, 1, 1], as after a GlobalAveragePool. */
const sumAndDifference: Reply = (x, rows) => {
  const y = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++)
    [y[2 * r], y[2 * r + 1]] = [x[2 * r]! + x[2 * r + 1]!, x[2 * r]! - x[2 * r + 1]!];
  return {
    features: { data: y, dims: [rows, 2, 1, 1] },
    logits: { data: new Float32Array(rows), dims: [rows, 1] },
  };
};

const bytes = Uint8Array.of(1, 2, 3);
const options = { Tensor: FeedTensor, bytes, inputShape: [1, 2] };

test("create probes one row of zeros; embed and embedRow return the chosen output, one vector per row", async () => {
  const session = standIn(sumAndDifference, ["pixels"], ["logits", "features"]);
  const backbone = await OnnxRuntimeBackbone.create(session, { ...options, output: "features" });
  assert.deepEqual(session.feeds, [new FeedTensor("float32", new Float32Array(2), [1, 1, 2])]);
  assert.deepEqual([backbone.inputDim, backbone.outputDim], [2, 2]);
  // zlib.crc32 of the bytes 01 02 03 is 0x55bc801d; then their length.
  assert.equal(backbone.hash, "onnx-55bc801d-3");
  assert.deepEqual(await backbone.embed(Float32Array.of(1, 2, 3, 5), 2), Float32Array.of(3, -1, 8, -2));
  assert.deepEqual(session.feeds[1]!.dims, [2, 1, 2]);
  assert.deepEqual(await backbone.embedRow([0.5, 0.25]), Float64Array.of(0.75, 0.25));
  // With one output, options.output may be left out; flat features are an inputShape of one axis.
  const flat = standIn(sumAndDifference);
  const single = await OnnxRuntimeBackbone.create(flat, { ...options, inputShape: [2] });
  assert.deepEqual(await single.embedRow([4, 1]), Float64Array.of(5, 3));
  assert.deepEqual(flat.feeds[1]!.dims, [1, 2]);
});

test("bytes must be a non-empty Uint8Array, the model file's contents", async () => {
  const session = standIn(sumAndDifference);
  for (const notBytes of [new Uint8Array(0), [1, 2, 3], new ArrayBuffer(3)])
    await assert.rejects(
      OnnxRuntimeBackbone.create(session, { ...options, bytes: notBytes as Uint8Array }),
      {
        name: "ConfigError",
        message: "OnnxRuntimeBackbone: bytes must be the model file's contents",
        location: { field: "bytes" },
      },
      `bytes ${String(notBytes)}`,
    );
});

test("inputShape must list one or more positive integer sizes", async () => {
  const session = standIn(sumAndDifference);
  for (const [inputShape, got] of [
    [[], "[]"],
    [[0], "[0]"],
    [[2, 0], "[2,0]"],
    [[1.5], "[1.5]"],
    [undefined, "undefined"],
  ] as const)
    await assert.rejects(
      OnnxRuntimeBackbone.create(session, { ...options, inputShape: inputShape as unknown as number[] }),
      {
        name: "ConfigError",
        message: `OnnxRuntimeBackbone: inputShape must list positive sizes (one sample, no batch axis), got ${got}`,
        location: { field: "inputShape" },
      },
    );
});

test("the session must have one input, and the output must be named when it has several", async () => {
  await assert.rejects(OnnxRuntimeBackbone.create(standIn(sumAndDifference, ["pixels", "mask"]), options), {
    name: "ConfigError",
    message: "OnnxRuntimeBackbone: the model has 2 inputs; expected one",
    location: { field: "session" },
  });
  const twoOutputs = standIn(sumAndDifference, ["pixels"], ["logits", "features"]);
  for (const output of [undefined, "probs"])
    await assert.rejects(
      OnnxRuntimeBackbone.create(twoOutputs, { ...options, output }),
      {
        name: "ConfigError",
        message:
          "OnnxRuntimeBackbone: choose the output with options.output (the model's outputs: logits, features)",
        location: { field: "output" },
      },
      `output ${output}`,
    );
});

test("embed and embedRow refuse values that are not whole rows of the input", async () => {
  const backbone = await OnnxRuntimeBackbone.create(standIn(sumAndDifference), options);
  await assert.rejects(backbone.embed(Float32Array.of(1, 2, 3), 2), {
    name: "ConfigError",
    message: "OnnxRuntimeBackbone: 3 values for 2 rows of 2",
    location: { field: "rows" },
  });
  await assert.rejects(backbone.embedRow([1, 2, 3]), {
    name: "ConfigError",
    message: "OnnxRuntimeBackbone: a row of 3 values; the backbone reads 2",
    location: { field: "row" },
  });
});

test("an output that is missing, not float32 or not one vector per row is refused, naming it", async () => {
  const cases: [Record<string, OrtTensorLike>, string][] = [
    [{}, "not float32 []"],
    [{ features: { data: new Float64Array(2), dims: [1, 2] } }, "not float32 [1, 2]"],
    [{ features: { data: new Float32Array(4), dims: [2, 2] } }, "float32 [2, 2]"],
    [{ features: { data: new Float32Array(6), dims: [1, 2, 3] } }, "float32 [1, 2, 3]"],
  ];
  for (const [reply, is] of cases)
    await assert.rejects(
      OnnxRuntimeBackbone.create(
        standIn(() => reply),
        options,
      ),
      {
        name: "ModelFileError",
        message: `ONNX backbone: output "features" is ${is} for 1 rows; a backbone's output must be one vector per row, [rows, features] (end the graph with a Flatten, GlobalAveragePool or Gemm)`,
        location: { field: "features" },
      },
      is,
    );
});
