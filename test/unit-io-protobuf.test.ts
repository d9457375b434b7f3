/** The protobuf writer's refusal of a number that is no varint, word for word. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ProtoWriter } from "../src/io/protobuf.js";

test("a varint holds a safe integer: a fraction, 2^53 or NaN is a RangeError naming the value", () => {
  for (const [value, shown] of [
    [1.5, "1.5"],
    [2 ** 53, "9007199254740992"],
    [Number.NaN, "NaN"],
  ] as const)
    assert.throws(() => new ProtoWriter().int(1, value), {
      name: "RangeError",
      message: `protobuf: cannot encode ${shown} as a varint`,
    });
});
