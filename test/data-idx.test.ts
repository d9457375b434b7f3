import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { tempDir } from "./helpers/tmp.js";
import { throwsData } from "./helpers/errors.js";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { loadIdxDataset, parseIdx } from "../src/data/index.js";

/** Write an IDX file by hand: magic 00 00 type ndims, big-endian uint32 dims, big-endian elements. */
function idxBytes(typeCode: number, dims: number[], body: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint8(2, typeCode);
  header.setUint8(3, dims.length);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.byteLength + body.length);
  out.set(new Uint8Array(header.buffer), 0);
  out.set(body, header.byteLength);
  return out;
}

const pixels = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 20); // 2 images of 2×3

test("ubyte images: raw and gzipped parse to the same dims and values", () => {
  const raw = idxBytes(0x08, [2, 2, 3], pixels);
  for (const bytes of [raw, gzipSync(raw)]) {
    const parsed = parseIdx(bytes, "img.idx", gunzipSync);
    assert.deepEqual(parsed.dims, [2, 2, 3]);
    assert.equal(parsed.type, "ubyte");
    assert.ok(parsed.data instanceof Uint8Array);
    assert.deepEqual(Array.from(parsed.data), Array.from(pixels));
  }
});

test("multi-byte types are decoded big-endian", () => {
  const body = new DataView(new ArrayBuffer(2 * 8));
  body.setInt16(0, -2, false);
  body.setInt16(2, 300, false);
  const shorts = parseIdx(idxBytes(0x0b, [2], new Uint8Array(body.buffer, 0, 4)), "s.idx");
  assert.equal(shorts.type, "short");
  assert.deepEqual(Array.from(shorts.data), [-2, 300]);

  body.setInt32(0, -70000, false);
  body.setInt32(4, 123456789, false);
  assert.deepEqual(
    Array.from(parseIdx(idxBytes(0x0c, [2], new Uint8Array(body.buffer, 0, 8))).data),
    [-70000, 123456789],
  );

  body.setFloat32(0, 1.5, false);
  body.setFloat32(4, -0.25, false);
  const floats = parseIdx(idxBytes(0x0d, [1, 2], new Uint8Array(body.buffer, 0, 8)));
  assert.ok(floats.data instanceof Float32Array);
  assert.deepEqual(Array.from(floats.data), [1.5, -0.25]);

  body.setFloat64(0, Math.PI, false);
  body.setFloat64(8, -1e300, false);
  assert.deepEqual(Array.from(parseIdx(idxBytes(0x0e, [2], new Uint8Array(body.buffer))).data), [
    Math.PI,
    -1e300,
  ]);

  assert.deepEqual(Array.from(parseIdx(idxBytes(0x09, [2], Uint8Array.of(0xff, 0x7f))).data), [-1, 127]);
});

test("bad magic says what was found and what was expected", () => {
  const bytes = idxBytes(0x08, [1], Uint8Array.of(1));
  bytes[0] = 0x50;
  bytes[1] = 0x4b; // a zip file, say
  throwsData(() => parseIdx(bytes, "weird.bin"), "weird.bin", "0x50 0x4b 0x08 0x01", "expected 0x00 0x00");
  throwsData(() => parseIdx(Uint8Array.of(0, 0), "short.bin"), "short.bin", "2 bytes");
});

test("unknown type code, zero dims and truncated headers are refused", () => {
  throwsData(
    () => parseIdx(idxBytes(0x0a, [1], Uint8Array.of(1)), "t.idx"),
    "t.idx",
    "unknown IDX type code 0x0a",
  );
  throwsData(() => parseIdx(Uint8Array.of(0, 0, 0x08, 0), "z.idx"), "z.idx", "0 dimensions");
  throwsData(() => parseIdx(Uint8Array.of(0, 0, 0x08, 3, 0, 0, 0, 1), "h.idx"), "h.idx", "3 dimensions");
});

test("a header claiming 10^12 elements is refused before anything that size is allocated", () => {
  const bytes = idxBytes(0x08, [1_000_000, 1_000_000], new Uint8Array(16));
  const start = process.hrtime.bigint();
  throwsData(() => parseIdx(bytes, "huge.idx"), "huge.idx", "1000000×1000000", "truncated");
  // A 1 TB allocation would throw RangeError, not DataError; the time bound is a loose sanity check.
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000);
});

test("trailing garbage and truncated data are refused", () => {
  const good = idxBytes(0x08, [2, 2, 3], pixels);
  const extra = new Uint8Array(good.length + 3);
  extra.set(good);
  throwsData(() => parseIdx(extra, "tail.idx"), "tail.idx", "3 bytes of trailing data");
  throwsData(() => parseIdx(good.subarray(0, good.length - 1), "cut.idx"), "cut.idx", "truncated");
  throwsData(() => parseIdx(gzipSync(good).subarray(0, 20), "cut.gz", gunzipSync), "cut.gz", "gzip");
  // The root has no inflater (it loads in a browser): gzipped bytes without one are refused by name.
  throwsData(() => parseIdx(gzipSync(good), "no-inflate.gz"), "no-inflate.gz", "gzipped", "inflate");
});

test("loadIdxDataset: images n×(rows·cols) as raw byte values, labels one-hot over 10", () => {
  const dir = tempDir("idx");
  const images = join(dir, "img.idx.gz");
  const labels = join(dir, "lbl.idx");
  writeFileSync(images, gzipSync(idxBytes(0x08, [2, 2, 3], pixels)));
  writeFileSync(labels, idxBytes(0x08, [2], Uint8Array.of(7, 2)));
  const ds = loadIdxDataset(images, labels);
  assert.equal(ds.n, 2);
  assert.equal(ds.inputDim, 6);
  assert.equal(ds.outputDim, 10);
  assert.equal(ds.task, "classification");
  assert.equal(ds.byteValued, true);
  assert.ok(ds.x instanceof Float32Array);
  assert.deepEqual(Array.from(ds.x), Array.from(pixels));
  assert.deepEqual(Array.from(ds.labels!), [7, 2]);
  assert.equal(ds.y[7], 1);
  assert.equal(ds.y[10 + 2], 1);
  assert.equal(
    ds.y.reduce((a, b) => a + b, 0),
    2,
  );
  assert.deepEqual(ds.classes, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

  // A label above 9 widens the one-hot to max label + 1.
  writeFileSync(labels, idxBytes(0x08, [2], Uint8Array.of(12, 0)));
  assert.equal(loadIdxDataset(images, labels).outputDim, 13);
});

test("labels/images count mismatch names both files and both counts", () => {
  const dir = tempDir("idx");
  const images = join(dir, "train-images");
  const labels = join(dir, "train-labels");
  writeFileSync(images, idxBytes(0x08, [2, 2, 3], pixels));
  writeFileSync(labels, idxBytes(0x08, [3], Uint8Array.of(1, 2, 3)));
  throwsData(
    () => loadIdxDataset(images, labels, { imagesFile: "imgs.gz", labelsFile: "lbls.gz" }),
    "imgs.gz",
    "lbls.gz",
    "3 labels",
    "2 images",
  );
  throwsData(() => loadIdxDataset(images, join(dir, "nope")), "nope", "cannot read");
});
