/**
 * writeFileAtomic's exact sequence of file-system calls, checked against the documented protocol
 * (temp file opened "wx" beside the target, every byte written at its position, fsync, close, rename,
 * then the directory synced), and what it leaves behind when a step fails; ensureDirectory.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureDirectory, readModelBytes, writeFileAtomic, type AtomicFs } from "../src/io/atomic.js";
import { ModelFileError } from "../src/tensor/errors.js";

/** A file system that records every call and keeps files in memory; `fail` throws at a named call. */
function recordingFs(options: { chunk?: number; fail?: string; zeroWrite?: boolean } = {}) {
  const calls: string[] = [];
  const files = new Map<number, { path: string; bytes: number[] }>();
  const written = new Map<string, Uint8Array>();
  let nextFd = 10;
  const maybeFail = (name: string): void => {
    if (options.fail === name) throw Object.assign(new Error(`${name} failed`), { code: "EIO" });
  };
  const afs: AtomicFs = {
    openSync(p, flags, mode) {
      calls.push(`open ${p} ${flags} ${mode === undefined ? "-" : mode.toString(8)}`);
      maybeFail(flags === "r" ? "opendir" : "open");
      const fd = nextFd++;
      files.set(fd, { path: p, bytes: [] });
      return fd;
    },
    writeSync(fd, buffer, offset, length, position) {
      calls.push(`write ${fd} ${offset} ${length} ${position}`);
      maybeFail("write");
      if (options.zeroWrite) return 0;
      const n = Math.min(length, options.chunk ?? length);
      const file = files.get(fd)!;
      for (let i = 0; i < n; i++) file.bytes[position + i] = buffer[offset + i]!;
      return n;
    },
    fsyncSync(fd) {
      calls.push(`fsync ${fd}`);
      maybeFail(files.get(fd)!.path.endsWith(".tmp") ? "fsync" : "fsyncdir");
    },
    closeSync(fd) {
      calls.push(`close ${fd}`);
      maybeFail(files.get(fd)!.path.endsWith(".tmp") ? "close" : "closedir");
    },
    renameSync(from, to) {
      calls.push(`rename ${from} ${to}`);
      maybeFail("rename");
      const file = [...files.values()].find((f) => f.path === from)!;
      written.set(to, Uint8Array.from(file.bytes));
    },
    unlinkSync(p) {
      calls.push(`unlink ${p}`);
    },
  };
  return { afs, calls, written };
}

const TEMP = /^\/data\/\.model\.hmst\.[0-9a-f]{12}\.tmp$/;

describe("writeFileAtomic's calls", () => {
  const bytes = Uint8Array.from({ length: 25 }, (_, i) => (i * 37 + 5) & 255);

  test("opens a fresh temp file beside the target, writes, syncs, closes, renames, syncs the folder", () => {
    const { afs, calls, written } = recordingFs();
    writeFileAtomic("/data/model.hmst", bytes, afs);
    const temp = calls[0]!.split(" ")[1]!;
    assert.match(temp, TEMP);
    assert.deepEqual(calls, [
      `open ${temp} wx 666`,
      "write 10 0 25 0",
      "fsync 10",
      "close 10",
      `rename ${temp} /data/model.hmst`,
      "open /data r -",
      "fsync 11",
      "close 11",
    ]);
    assert.deepEqual(written.get("/data/model.hmst"), bytes);
  });

  test("two saves use two different temp names", () => {
    const a = recordingFs();
    const b = recordingFs();
    writeFileAtomic("/data/model.hmst", bytes, a.afs);
    writeFileAtomic("/data/model.hmst", bytes, b.afs);
    assert.notEqual(a.calls[0], b.calls[0]);
  });

  test("short writes continue where the last one stopped until every byte is written", () => {
    const { afs, calls, written } = recordingFs({ chunk: 10 });
    writeFileAtomic("/data/model.hmst", bytes, afs);
    assert.deepEqual(
      calls.filter((c) => c.startsWith("write")),
      ["write 10 0 25 0", "write 10 10 15 10", "write 10 20 5 20"],
    );
    assert.deepEqual(written.get("/data/model.hmst"), bytes);
  });

  test("an empty file is opened, synced and renamed without a write", () => {
    const { afs, calls } = recordingFs();
    writeFileAtomic("/data/model.hmst", new Uint8Array(0), afs);
    assert.deepEqual(
      calls.map((c) => c.split(" ")[0]),
      ["open", "fsync", "close", "rename", "open", "fsync", "close"],
    );
  });

  test("a write that makes no progress is an error, not an endless loop", () => {
    const { afs, calls } = recordingFs({ zeroWrite: true });
    assert.throws(
      () => writeFileAtomic("/data/model.hmst", bytes, afs),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.message === "/data/model.hmst: cannot write the file: write made no progress at byte 0 of 25",
    );
    const temp = calls[0]!.split(" ")[1]!;
    assert.deepEqual(calls.slice(1), ["write 10 0 25 0", "close 10", `unlink ${temp}`]);
  });

  for (const [step, after] of [
    ["write", ["close 10", "unlink"]],
    ["fsync", ["close 10", "unlink"]],
    ["close", ["unlink"]], // closed once: a failed close is not retried
    ["rename", ["unlink"]],
    ["open", []], // nothing was created, so nothing is deleted
  ] as const) {
    test(`a failed ${step} closes what is open, removes the temp file and keeps the cause`, () => {
      const { afs, calls } = recordingFs({ fail: step });
      assert.throws(
        () => writeFileAtomic("/data/model.hmst", bytes, afs),
        (e: unknown) =>
          e instanceof ModelFileError &&
          e.message === "/data/model.hmst: cannot write the file: input/output error (EIO)" &&
          e.location.file === "/data/model.hmst" &&
          (e.cause as Error).message === `${step} failed`,
      );
      const failedAt = calls.findIndex((c) => c.startsWith(step === "fsync" ? "fsync" : step));
      const temp = calls[0]!.split(" ")[1]!;
      const rest = calls.slice(failedAt + 1).map((c) => (c === `unlink ${temp}` ? "unlink" : c));
      assert.deepEqual(rest, after);
    });
  }

  for (const step of ["opendir", "fsyncdir", "closedir"]) {
    test(`a failed folder sync (${step}) after the rename still saves`, () => {
      const { afs, calls, written } = recordingFs({ fail: step });
      writeFileAtomic("/data/model.hmst", bytes, afs);
      assert.deepEqual(written.get("/data/model.hmst"), bytes);
      // The folder's descriptor is closed even when its fsync fails.
      if (step === "fsyncdir") assert.equal(calls.at(-1), "close 11");
    });
  }
});

describe("readModelBytes and ensureDirectory", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homeostat-unit-atomic-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("readModelBytes returns exactly the file's bytes", () => {
    const file = path.join(dir, "m.bin");
    const bytes = Uint8Array.from([0, 1, 2, 250, 255, 7]);
    fs.writeFileSync(file, bytes);
    const read = readModelBytes(file);
    assert.ok(read instanceof Uint8Array);
    assert.deepEqual([...read], [...bytes]);
  });

  test("ensureDirectory creates missing parents and accepts an existing folder", () => {
    const nested = path.join(dir, "a", "b", "c");
    ensureDirectory(nested);
    assert.ok(fs.statSync(nested).isDirectory());
    ensureDirectory(nested);
  });

  test("ensureDirectory names the folder and why it cannot be created", () => {
    const file = path.join(dir, "plain-file");
    fs.writeFileSync(file, "x");
    const target = path.join(file, "sub");
    assert.throws(
      () => ensureDirectory(target),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.message.startsWith(`${target}: cannot create the output folder: `) &&
        /\(ENOTDIR\)$/.test(e.message) &&
        e.location.file === target &&
        (e.cause as { code?: string }).code === "ENOTDIR",
    );
  });

  test("ensureDirectory through a dangling link says a parent folder is missing", () => {
    const link = path.join(dir, "dangling");
    fs.symlinkSync(path.join(dir, "nowhere"), link);
    const target = path.join(link, "sub");
    assert.throws(
      () => ensureDirectory(target),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.message === `${target}: cannot create the output folder: a parent folder is missing (ENOENT)`,
    );
  });
});
