import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import {
  decodeSegment,
  encodeRecords,
  LogError,
  type LogFs,
  nodeLogFs,
  segmentName,
  WriteAheadLog,
} from "../src/serve/wal.js";
import { faultyLogFs, parseLogFaults } from "../src/serve/log-faults.js";
import { ConfigError } from "../src/tensor/errors.js";
import { tempDir } from "./helpers/tmp.js";

const row = (i: number) => ({ x: [i, i / 3, -i * 1e-7], y: i % 3 === 0 ? "odd" : i % 2 });
const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => row(from + i));
const quiet = { warn: () => {} };

test("a record is [length, CRC-32 of length and payload, JSON payload] (checked with zlib's CRC)", () => {
  const bytes = encodeRecords(7, [{ x: { a: 1.5 }, y: "b" }]);
  const payload = '{"seq":7,"x":{"a":1.5},"y":"b"}';
  const view = new DataView(bytes.buffer);
  assert.equal(view.getUint32(0, true), payload.length);
  assert.equal(
    view.getUint32(4, true),
    zlibCrc32(Buffer.concat([bytes.subarray(0, 4), Buffer.from(payload)])),
  );
  assert.equal(new TextDecoder().decode(bytes.subarray(8)), payload);
  assert.equal(bytes.length, 8 + payload.length);
});

test("rows committed in batches read back in order with their sequence numbers, after reopening too", async () => {
  const dir = tempDir("wal-roundtrip");
  const log = WriteAheadLog.open(dir, quiet);
  assert.equal(await log.commit(rows(1, 3)), 1);
  assert.equal(await log.commit(rows(4, 1)), 4);
  assert.equal(await log.commit([{ x: { b: 2, a: -0.5 }, y: 12.25 }]), 5);
  const expected = [...rows(1, 4), { x: { b: 2, a: -0.5 }, y: 12.25 }].map((r, i) => ({ seq: i + 1, ...r }));
  assert.deepEqual([...log.read()], expected);
  log.close();
  const again = WriteAheadLog.open(dir, quiet);
  assert.equal(again.nextSeq, 6);
  assert.deepEqual([...again.read(3)], expected.slice(2));
  again.close();
});

test("a torn tail at every byte of the last record is cut there; the records before it stay whole", async () => {
  const dir = tempDir("wal-torn");
  const log = WriteAheadLog.open(dir, quiet);
  await log.commit(rows(1, 4));
  const before = log.bytes;
  await log.commit(rows(5, 1));
  const whole = log.bytes;
  log.close();
  const [segment] = fs.readdirSync(dir);
  const full = fs.readFileSync(join(dir, segment));
  assert.equal(full.length, whole);
  for (let cut = before; cut < whole; cut++) {
    fs.writeFileSync(join(dir, segment), full.subarray(0, cut));
    const warnings: string[] = [];
    const torn = WriteAheadLog.open(dir, { warn: (m) => warnings.push(m) });
    assert.equal(torn.nextSeq, 5, `cut at byte ${cut}`);
    assert.deepEqual(
      [...torn.read()].map((r) => r.seq),
      [1, 2, 3, 4],
    );
    assert.equal(fs.statSync(join(dir, segment)).size, before);
    assert.equal(warnings.length, cut === before ? 0 : 1);
    if (cut > before)
      assert.match(
        warnings[0],
        new RegExp(`damaged tail at byte ${before} .*4 whole records, ${cut - before} bytes dropped`),
      );
    // The next row follows the last whole record.
    assert.equal(await torn.commit(rows(99, 1)), 5);
    assert.deepEqual([...torn.read(5)], [{ seq: 5, ...row(99) }]);
    torn.close();
  }
});

test("a flipped byte is a bad checksum: in the last segment the tail is cut, in an earlier one reading fails", async () => {
  const dir = tempDir("wal-crc");
  const log = WriteAheadLog.open(dir, { ...quiet, segmentBytes: 150 });
  for (let i = 1; i <= 14; i++) await log.commit(rows(i, 1)); // 3 rows a segment: the last holds 13 and 14
  log.close();
  const names = fs.readdirSync(dir).sort();
  assert.ok(names.length >= 3, `segments: ${names}`);
  const last = join(dir, names[names.length - 1]);
  const lastFirst = Number(names[names.length - 1].slice(0, 16));
  const bytes = fs.readFileSync(last);
  const seg = decodeSegment(bytes, lastFirst);
  assert.ok(seg.records.length >= 2);
  // Flip a payload byte of the second record of the last segment.
  const second = 8 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  bytes[second + 12] ^= 0x20;
  fs.writeFileSync(last, bytes);
  const warnings: string[] = [];
  const cut = WriteAheadLog.open(dir, { warn: (m) => warnings.push(m) });
  assert.match(warnings[0], /checksum does not match/);
  assert.equal(cut.nextSeq, lastFirst + 1);
  cut.close();
  // Damage in the first segment: acknowledged rows there are lost, which is an error, not a cut.
  const first = join(dir, names[0]);
  const early = fs.readFileSync(first);
  early[10] ^= 1;
  fs.writeFileSync(first, early);
  const broken = WriteAheadLog.open(dir, quiet);
  assert.throws(
    () => [...broken.read()],
    (e: unknown) => e instanceof LogError && /checksum.*acknowledged rows 1 to/.test(e.message),
  );
  broken.close();
});

test("segments rotate at their size, are named by their first row, and are pruned behind a checkpoint", async () => {
  const dir = tempDir("wal-rotate");
  const log = WriteAheadLog.open(dir, { ...quiet, segmentBytes: 200 });
  for (let i = 1; i <= 30; i += 3) await log.commit(rows(i, 3));
  const names = fs.readdirSync(dir).sort();
  assert.equal(names.length, log.segments);
  assert.ok(names.length > 3, `only ${names.length} segments`);
  // Each segment's name is the sequence number of its first record; the open one is empty or not full.
  for (const name of names) {
    const first = Number(name.slice(0, 16));
    const seg = decodeSegment(fs.readFileSync(join(dir, name)), first);
    assert.equal(seg.damage, null);
    if (seg.records.length > 0) assert.equal(seg.records[0].seq, first);
  }
  assert.deepEqual(
    [...log.read()].map((r) => r.seq),
    Array.from({ length: 30 }, (_, i) => i + 1),
  );
  const total = names.reduce((n, f) => n + fs.statSync(join(dir, f)).size, 0);
  assert.equal(log.bytes, total);
  const starts = names.map((n) => Number(n.slice(0, 16)));
  // Pruning at row 17 keeps the segment holding 18 (and every segment after it).
  const freed = log.prune(17);
  const keep = starts.filter((_, i) => (starts[i + 1] ?? Infinity) > 18);
  assert.deepEqual(
    fs
      .readdirSync(dir)
      .sort()
      .map((n) => Number(n.slice(0, 16))),
    keep,
  );
  assert.equal(log.bytes, total - freed);
  assert.ok(log.firstSeq <= 18);
  assert.deepEqual(
    [...log.read(18)].map((r) => r.seq),
    Array.from({ length: 13 }, (_, i) => i + 18),
  );
  assert.throws(() => [...log.read(1)], /the log begins at/);
  // Pruning never removes the open segment.
  log.prune(1000);
  assert.equal(log.segments, 1);
  log.close();
  assert.equal(WriteAheadLog.open(dir, quiet).nextSeq, 31);
});

/** Node's calls, counting fsyncs and writes, and failing the nth write or the fsyncs numbered in `failSyncs`. */
function countingFs(): LogFs & { fsyncs: number; writes: number; failWrite: number; failSyncs: Set<number> } {
  const c = {
    ...nodeLogFs,
    fsyncs: 0,
    writes: 0,
    failWrite: 0,
    failSyncs: new Set<number>(),
    writeSync(fd: number, b: Uint8Array, o: number, l: number, p: number): number {
      c.writes++;
      if (c.failWrite > 0 && --c.failWrite === 0) {
        // Half the batch reaches the disk, then the disk is full.
        nodeLogFs.writeSync(fd, b, o, Math.floor(l / 2), p);
        throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      }
      return nodeLogFs.writeSync(fd, b, o, l, p);
    },
    fsync(fd: number): Promise<void> {
      if (c.failSyncs.has(++c.fsyncs)) return Promise.reject(new Error("ENOSPC: no space left on device"));
      return nodeLogFs.fsync(fd);
    },
  };
  return c;
}

test("group commit: one fsync per batch, however many rows; the folder is synced once for a new segment", async () => {
  const dir = tempDir("wal-fsync");
  const cfs = countingFs();
  const log = WriteAheadLog.open(dir, { ...quiet, fs: cfs });
  await log.commit(rows(1, 64));
  assert.equal(cfs.fsyncs, 2); // the batch and the new segment's folder entry
  await log.commit(rows(65, 1));
  await log.commit(rows(66, 500));
  assert.equal(cfs.fsyncs, 4);
  assert.equal(log.syncs, 3);
  assert.equal(log.nextSeq, 566);
  log.close();
});

test("a failed write (disk full) cuts the partial batch; the next batch follows the last whole record", async () => {
  const dir = tempDir("wal-full");
  const cfs = countingFs();
  const log = WriteAheadLog.open(dir, { ...quiet, fs: cfs });
  await log.commit(rows(1, 2));
  const size = log.bytes;
  cfs.failWrite = 1;
  await assert.rejects(log.commit(rows(3, 10)), /ENOSPC/);
  assert.equal(fs.statSync(join(dir, fs.readdirSync(dir)[0])).size, size);
  assert.equal(await log.commit(rows(50, 1)), 3);
  log.close();
  const again = WriteAheadLog.open(dir, { warn: () => assert.fail("no damage expected") });
  assert.deepEqual(
    [...again.read()],
    [...rows(1, 2), row(50)].map((r, i) => ({ seq: i + 1, ...r })),
  );
  again.close();
});

const segmentSize = (dir: string): number => fs.statSync(join(dir, fs.readdirSync(dir).sort().at(-1)!)).size;

test("a failed fsync cuts the batch (whole in the file) and syncs the cut; the log goes on", async () => {
  const dir = tempDir("wal-sync-full");
  const cfs = countingFs();
  const log = WriteAheadLog.open(dir, { ...quiet, fs: cfs });
  await log.commit(rows(1, 1));
  const size = log.bytes;
  cfs.failSyncs = new Set([3]);
  await assert.rejects(log.commit(rows(2, 3)), /ENOSPC/);
  assert.equal(segmentSize(dir), size);
  assert.equal(cfs.fsyncs, 4); // the folder, row 1, the failed batch, the cut
  assert.equal(await log.commit(rows(9, 1)), 2);
  assert.equal(cfs.fsyncs, 5);
  log.close();
  const again = WriteAheadLog.open(dir, { warn: () => assert.fail("no damage expected") });
  assert.deepEqual(
    [...again.read()],
    [row(1), row(9)].map((r, i) => ({ seq: i + 1, ...r })),
  );
  again.close();
});

test("a cut whose fsync fails is owed: the next commit makes it before writing, and fails if it cannot", async () => {
  const dir = tempDir("wal-cut-owed");
  const cfs = countingFs();
  const log = WriteAheadLog.open(dir, { ...quiet, fs: cfs });
  await log.commit(rows(1, 2));
  const size = log.bytes;
  // The batch's fsync, its cut's, then the owed cut's at the next commit: the disk is full a while.
  cfs.failSyncs = new Set([3, 4, 5]);
  await assert.rejects(log.commit(rows(3, 4)), /ENOSPC/);
  assert.equal(segmentSize(dir), size);
  const writes = cfs.writes;
  await assert.rejects(log.commit(rows(7, 1)), /ENOSPC/);
  assert.equal(cfs.writes, writes, "nothing written while the cut is owed");
  assert.equal(await log.commit(rows(8, 1)), 3);
  assert.equal(cfs.fsyncs, 7); // the cut, then the batch
  log.close();
  assert.deepEqual(
    [...WriteAheadLog.open(dir, quiet).read()].map((r) => r.x),
    [row(1), row(2), row(8)].map((r) => r.x),
  );
});

test("a rotation that fails keeps the full segment open, leaves no stray file, and is retried", async () => {
  const dir = tempDir("wal-rotate-full");
  const cfs = countingFs();
  const log = WriteAheadLog.open(dir, { ...quiet, fs: cfs, segmentBytes: 100 });
  await log.commit(rows(1, 1)); // the folder, the batch
  // Rows 2 and 3 fill the segment; the folder's fsync for the next one fails: they are durable all the same.
  cfs.failSyncs = new Set([4]);
  assert.equal(await log.commit(rows(2, 2)), 2);
  assert.equal(log.segments, 1);
  assert.deepEqual(fs.readdirSync(dir), [segmentName(1)]);
  assert.equal(await log.commit(rows(4, 1)), 4);
  assert.deepEqual(fs.readdirSync(dir).sort(), [segmentName(1), segmentName(4)]);
  log.close();
  assert.deepEqual(
    [...WriteAheadLog.open(dir, quiet).read()].map((r) => r.seq),
    [1, 2, 3, 4],
  );
});

test("a new log whose folder entry cannot be synced takes no row until it is", async () => {
  const dir = tempDir("wal-dir-full");
  const cfs = countingFs();
  const log = WriteAheadLog.open(dir, { ...quiet, fs: cfs });
  cfs.failSyncs = new Set([1]);
  await assert.rejects(log.commit(rows(1, 1)), /ENOSPC/);
  assert.equal(cfs.writes, 0);
  assert.equal(await log.commit(rows(5, 1)), 1);
  assert.equal(cfs.fsyncs, 3); // the folder (failed), the folder, the batch
  log.close();
});

test("HOMEOSTAT_TEST_LOG_FAULTS: the planned write lands half its bytes and fails, the planned fsync fails", async () => {
  assert.throws(
    () => parseLogFaults("write:2,fsync:0"),
    (e: unknown) => e instanceof ConfigError && /"fsync:0" is not write:N or fsync:N/.test(e.message),
  );
  const plan = parseLogFaults("write:2, fsync:3");
  assert.deepEqual([[...plan.write], [...plan.fsync]], [[2], [3]]);
  const dir = tempDir("wal-faults");
  const path = join(dir, "f");
  const ffs = faultyLogFs(nodeLogFs, plan);
  const fd = ffs.openSync(path, "w+");
  const bytes = new Uint8Array(10).fill(7);
  assert.equal(ffs.writeSync(fd, bytes, 0, 10, 0), 10);
  assert.throws(() => ffs.writeSync(fd, bytes, 0, 10, 10), /ENOSPC.*injected/);
  assert.equal(fs.statSync(path).size, 15);
  assert.equal(ffs.writeSync(fd, bytes, 0, 10, 15), 10);
  await ffs.fsync(fd);
  await ffs.fsync(fd);
  await assert.rejects(ffs.fsync(fd), (e: NodeJS.ErrnoException) => e.code === "ENOSPC");
  await ffs.fsync(fd);
  ffs.closeSync(fd);
});
