/**
 * CRC-32 against the published check values and node:zlib: a file of its own, fast, so a mutant of
 * src/io/crc32.ts fails the first unit file that runs it.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { crc32 } from "../src/io/crc32.js";
import { lcg, utf8 } from "./helpers/container-files.js";

describe("crc32", () => {
  test("matches the published check values", () => {
    assert.equal(crc32(utf8("123456789")), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
    assert.equal(crc32(utf8("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  });

  test("continues from a seed like zlib", () => {
    const whole = utf8("homeostatic plasticity keeps units alive");
    for (const cut of [0, 1, 7, 8, 9, 20, whole.length]) {
      assert.equal(crc32(whole.subarray(cut), crc32(whole.subarray(0, cut))), crc32(whole));
    }
  });

  const zlibCrc = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  test("agrees with node:zlib on random buffers and unaligned views", {
    skip: zlibCrc === undefined && "no zlib.crc32",
  }, () => {
    const rand = lcg(1);
    const big = new Uint8Array(1 << 20).map(() => rand(256));
    for (let length = 0; length < 80; length++) {
      const start = rand(64);
      const view = big.subarray(start, start + length);
      assert.equal(crc32(view), zlibCrc!(view), `length ${length} at ${start}`);
    }
    assert.equal(crc32(big), zlibCrc!(big));
  });
});
