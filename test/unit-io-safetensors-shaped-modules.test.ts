/**
 * shapedModule (src/io/safetensors-shaped.ts), one shaped layer at a time: the whole PyTorch module it
 * becomes and the sample shape it hands on. Expected modules are written out by hand: output sizes from
 * ⌊(size − extent) / stride⌋ + 1 ("valid") and ⌈size / stride⌉ ("same"), padding as
 * (out − 1)·stride + extent − size with the odd pixel after, as windowGeometry places it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { shapedModule } from "../src/io/safetensors-shaped.js";
import { Conv2D } from "../src/nn/conv.js";
import { AvgPool2D, GlobalAvgPool, MaxPool2D } from "../src/nn/pooling.js";
import { Flatten, Reshape } from "../src/nn/reshape.js";

describe("shapedModule", () => {
  test("a bias-free convolution is a conv module without bias; its valid padding is none", () => {
    // height 5, kernel 2, stride 2: ⌊3 / 2⌋ + 1 = 2 rows, the last input row unread, not padded
    assert.deepEqual(shapedModule(new Conv2D(3, { kernel: 2, stride: 2, useBias: false }), 4, [5, 4, 2]), {
      module: {
        kind: "conv",
        layer: 4,
        dims: 2,
        channels: 2,
        filters: 3,
        kernel: [2, 2],
        stride: [2, 2],
        dilation: [1, 1],
        groups: 1,
        pad: [0, 0, 0, 0],
        bias: false,
      },
      out: [2, 2, 3],
    });
  });

  test('an average pool is op "avg", a max pool op "max"; "same" pads the odd row after', () => {
    // height 5, pool 2, stride 2: ⌈5 / 2⌉ = 3 rows need 2·2 + 2 − 5 = 1 row, after; width 4: 2, none
    assert.deepEqual(shapedModule(new AvgPool2D({ pool: 2, padding: "same" }), 1, [5, 4, 3]), {
      module: { kind: "pool", layer: 1, op: "avg", pool: [2, 2], stride: [2, 2], pad: [0, 0, 0, 1] },
      out: [3, 2, 3],
    });
    assert.deepEqual(shapedModule(new MaxPool2D({ pool: 2 }), 1, [5, 4, 3]), {
      module: { kind: "pool", layer: 1, op: "max", pool: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0] },
      out: [2, 2, 3],
    });
  });

  test("a global average pool hands on the channels only", () => {
    assert.deepEqual(shapedModule(new GlobalAvgPool(), 3, [4, 4, 5]), {
      module: { kind: "globalAvgPool", layer: 3 },
      out: [5],
    });
  });

  test("a flatten hands on one axis of all the sample's values", () => {
    assert.deepEqual(shapedModule(new Flatten(), 2, [3, 4, 2]), {
      module: { kind: "flatten", layer: 2, width: 24 },
      out: [24],
    });
  });

  test("a reshape resolves its -1 from the sample's size: 12 values as [-1, 2] are [6, 2]", () => {
    assert.deepEqual(shapedModule(new Reshape([-1, 2]), 1, [3, 4]), {
      module: { kind: "reshape", layer: 1, shape: [6, 2] },
      out: [6, 2],
    });
  });
});
