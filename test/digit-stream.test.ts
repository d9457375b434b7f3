import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type DigitRow,
  DigitStream,
  digitSchedule,
  nanRows,
  pixelMaps,
  scheduleRows,
} from "../src/data/digit-stream.js";
import { loadBundledMnist } from "../src/data/mnist.js";
import { ConfigError } from "../src/tensor/errors.js";

const P = 784;
const small = () => [...new DigitStream({ seed: 3, scale: 0.02 })];

/** The bundled images by their bytes, with their labels: to check which digit a row shows. */
function imageIndex(): Map<string, number> {
  const { train, test } = loadBundledMnist();
  const index = new Map<string, number>();
  for (const ds of [train, test])
    for (let i = 0; i < ds.n; i++)
      index.set(Buffer.from(ds.x.slice(i * P, (i + 1) * P).buffer).toString("base64"), ds.labels![i]);
  return index;
}
const keyOf = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("base64");
/** The image a row shows, with its pixel map undone (map[i] is the source of output pixel i). */
function unmapped(row: DigitRow, map: Int32Array): Float32Array {
  const out = new Float32Array(P);
  for (let i = 0; i < P; i++) out[map[i]] = row.x[i];
  return out;
}

test("the schedule: phases back to back, the full-size table as documented, scaled to 20,000", () => {
  const full = digitSchedule();
  assert.deepEqual(
    full.map((p) => [p.start, p.length, p.concept]),
    [
      [0, 100_000, "plain-0-4"],
      [100_000, 100_000, "plain-0-7"],
      [200_000, 150_000, "plain-0-9"],
      [350_000, 150_000, "permuted"],
      [500_000, 100_000, "rotated"],
      [600_000, 100_000, "rotated"],
      [700_000, 150_000, "plain-0-9"],
      [850_000, 500, "shuffled"],
      [850_500, 149_500, "plain-0-9"],
    ],
  );
  assert.equal(scheduleRows(full), 1_000_000);
  assert.equal(full[4].from, "permuted");
  const scaled = digitSchedule(0.02);
  assert.deepEqual(
    scaled.map((p) => p.length),
    [2000, 2000, 3000, 3000, 2000, 2000, 3000, 10, 2990],
  );
  assert.equal(scheduleRows(scaled), 20_000);
  // Boundaries, not lengths, are rounded: 0.005 splits the 500-row burst into 2.5 rows and still sums to 5,000.
  assert.equal(scheduleRows(digitSchedule(0.005)), 5000);
  assert.throws(() => digitSchedule(0), ConfigError);
  assert.deepEqual(nanRows(1000), [30, 120, 270, 380, 450, 560, 660, 790, 900, 970]);
});

test("same seed, same rows; another seed, other rows; every row in its phase", () => {
  const a = small();
  const b = small();
  assert.equal(a.length, 20_000);
  for (let i = 0; i < a.length; i += 97) {
    assert.deepEqual(a[i], b[i], `row ${i}`);
    assert.equal(a[i].index, i);
  }
  const other = [...new DigitStream({ seed: 4, scale: 0.02 })];
  assert.ok(a.slice(0, 100).some((r, i) => r.y !== other[i].y));
  const schedule = digitSchedule(0.02);
  for (const r of a) {
    const p = schedule[r.phase];
    assert.ok(r.index >= p.start && r.index < p.start + p.length, `row ${r.index} in phase ${r.phase}`);
  }
});

test("labels stay hidden before their phase, then appear", () => {
  const rows = small();
  const maxBefore = (end: number) => Math.max(...rows.slice(0, end).map((r) => r.y));
  assert.equal(maxBefore(2000), 4);
  assert.equal(maxBefore(4000), 7);
  assert.equal(maxBefore(7000), 9);
  const seen = new Set(rows.slice(2000, 4000).map((r) => r.y));
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test("the pixel maps: a permutation, not the identity; four clockwise turns are none", () => {
  const { permuted, rotated, plain } = pixelMaps(7);
  assert.deepEqual(
    [...permuted].sort((x, y) => x - y),
    [...plain],
  );
  assert.ok(permuted.some((v, i) => v !== i));
  assert.deepEqual(pixelMaps(7).permuted, permuted);
  assert.notDeepEqual(pixelMaps(8).permuted, permuted);
  // Clockwise: the top-left pixel moves to the top-right corner, the bottom-left to the top-left.
  assert.equal(rotated[27], 0);
  assert.equal(rotated[0], 27 * 28);
  let m = Int32Array.from(plain);
  for (let k = 0; k < 4; k++) m = m.map((src) => rotated[src]);
  assert.deepEqual(m, plain);
});

test("each row shows a bundled digit of its label through its concept's pixel map", () => {
  const index = imageIndex();
  const stream = new DigitStream({ seed: 3, scale: 0.02 });
  const maps = pixelMaps(3);
  const rows = [...stream];
  const byConcept = { "plain-0-9": maps.plain, permuted: maps.permuted, rotated: maps.rotated };
  for (const r of rows.filter((_, i) => i % 53 === 0 && !rows[i].fault)) {
    const map = byConcept[r.concept as keyof typeof byConcept] ?? maps.plain;
    const label = index.get(keyOf(unmapped(r, map)));
    if (r.concept !== "shuffled") assert.equal(label, r.y, `row ${r.index} (${r.concept})`);
  }
  // The gradual phase (rows 10,000–11,999) moves from permuted to rotated: few rotated rows early, most late.
  const share = (from: number, to: number) =>
    rows.slice(from, to).filter((r) => r.concept === "rotated").length / (to - from);
  assert.ok(share(10_000, 10_500) < 0.25 && share(11_500, 12_000) > 0.75);
  assert.ok(rows.slice(10_000, 12_000).every((r) => r.concept === "rotated" || r.concept === "permuted"));
  // The shuffled burst (full size: 500 rows): labels agree with the image only by chance (10%).
  const burst = stream.phaseSample(7, 500, 9);
  const agree = burst.filter((r) => index.get(keyOf(r.x)) === r.y).length;
  assert.ok(agree < 100, `${agree} of 500 shuffled labels agree with their digit`);
});

test("NaN rows sit where nanRows says and nowhere else", () => {
  const rows = small();
  const nan = rows.filter((r) => r.x.some(Number.isNaN)).map((r) => r.index);
  assert.deepEqual(nan, nanRows(20_000));
  assert.ok(rows.every((r) => (r.fault === "nan") === nan.includes(r.index)));
});
