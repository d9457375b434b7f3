/**
 * Atomic model-file writes: a new file or a replacement appears whole or not at all, a failure at any
 * step leaves the old file intact with no temporary file behind, and missing paths are named.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decodeContainer, encodeContainer, type NamedTensor } from "../src/io/container.js";
import { readModelBytes, writeFileAtomic, type AtomicFs } from "../src/io/atomic.js";
import { ModelFileError } from "../src/tensor/errors.js";

const SMALL: NamedTensor[] = [
  { name: "0.weight", shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-40]) },
  { name: "0.bias", shape: [3], data: new Float64Array([Math.PI, -1e-310, 2 ** 60]) },
  { name: "step", shape: [], data: new Int32Array([7]) },
];

describe("writeFileAtomic / readModelBytes", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homeostat-io-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const realFs: AtomicFs = fs;
  const errno = (code: string): Error => Object.assign(new Error(`${code}: simulated failure`), { code });
  const otherFiles = (keep: string): string[] => fs.readdirSync(dir).filter((f) => f !== keep);

  test("writes a new file and replaces an existing one", () => {
    const target = path.join(dir, "model.hmst");
    writeFileAtomic(target, encodeContainer({ v: 1 }, SMALL));
    assert.deepEqual(decodeContainer(readModelBytes(target), target).header, { v: 1 });
    writeFileAtomic(target, encodeContainer({ v: 2 }, []));
    assert.deepEqual(decodeContainer(readModelBytes(target), target), { header: { v: 2 }, tensors: [] });
    assert.deepEqual(otherFiles("model.hmst"), []);
  });

  test("a failure at any step leaves the old file intact and no temp file behind", () => {
    const target = path.join(dir, "keep.hmst");
    const old = encodeContainer({ old: true }, SMALL);
    fs.writeFileSync(target, old);
    let writes = 0;
    const failures: [string, AtomicFs, RegExp][] = [
      // The first write succeeds partly, the second finds the disk full.
      [
        "write",
        {
          ...realFs,
          writeSync: (fd, buf, off, len, pos) =>
            writes++ === 0
              ? fs.writeSync(fd, buf, off, Math.min(len, 10), pos)
              : (() => {
                  throw errno("ENOSPC");
                })(),
        },
        /disk full \(ENOSPC\)/,
      ],
      [
        "fsync",
        {
          ...realFs,
          fsyncSync: () => {
            throw errno("EIO");
          },
        },
        /input\/output error \(EIO\)/,
      ],
      [
        "close",
        {
          ...realFs,
          closeSync: (fd) => {
            fs.closeSync(fd);
            throw errno("EDQUOT");
          },
        },
        /disk quota exceeded/,
      ],
      [
        "rename",
        {
          ...realFs,
          renameSync: () => {
            throw errno("EACCES");
          },
        },
        /permission denied \(EACCES\)/,
      ],
      [
        "open",
        {
          ...realFs,
          openSync: () => {
            throw errno("EROFS");
          },
        },
        /read-only file system/,
      ],
      [
        "odd error",
        {
          ...realFs,
          renameSync: () => {
            throw new Error("something else");
          },
        },
        /something else/,
      ],
    ];
    for (const [step, failingFs, pattern] of failures) {
      assert.throws(
        () => writeFileAtomic(target, encodeContainer({ new: true }, []), failingFs),
        (error: unknown) =>
          error instanceof ModelFileError &&
          error.message.startsWith(`${target}: cannot write the file: `) &&
          pattern.test(error.message) &&
          error.location.file === target,
        step,
      );
      assert.deepEqual(new Uint8Array(fs.readFileSync(target)), old, `${step}: old file changed`);
      assert.deepEqual(
        otherFiles("keep.hmst").filter((f) => f.includes("keep")),
        [],
        `${step}: temp file left`,
      );
    }
    assert.ok(writes >= 2, "the partial write was exercised");
  });

  test("a failed directory sync after the rename does not fail the save", () => {
    const target = path.join(dir, "nodirsync.hmst");
    const noDirOpen: AtomicFs = {
      ...realFs,
      openSync: (p, flags, mode) =>
        flags === "r"
          ? (() => {
              throw errno("EISDIR");
            })()
          : fs.openSync(p, flags, mode),
    };
    writeFileAtomic(target, encodeContainer({}, SMALL), noDirOpen);
    assert.equal(decodeContainer(readModelBytes(target)).tensors.length, SMALL.length);
  });

  test("a directory that does not exist, and a missing file, are named", () => {
    const target = path.join(dir, "no", "such", "model.hmst");
    assert.throws(
      () => writeFileAtomic(target, new Uint8Array(8)),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.message === `${target}: cannot write the file: the directory does not exist (ENOENT)`,
    );
    assert.throws(
      () => readModelBytes(target),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.message === `${target}: cannot read model file: file not found (ENOENT)`,
    );
    assert.throws(
      () => readModelBytes(dir),
      (e: unknown) => e instanceof ModelFileError && /it is a directory \(EISDIR\)/.test(e.message),
    );
  });
});
