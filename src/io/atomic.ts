/**
 * Reading and writing model files on disk (Node only). A model file is either the old one or the
 * complete new one, never a mixture: a crash, a full disk or a killed process in the middle of a save
 * must not destroy the last good model, which may be the only copy of hours of training.
 */
import * as nodeFs from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { fileErrorWords, ModelFileError } from "../tensor/errors.js";

/**
 * The file-system calls `writeFileAtomic` makes. Node's `fs` module is one; tests pass a copy with a
 * failing call to simulate a full disk or a failed rename, which cannot be provoked for real as root.
 */
export interface AtomicFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(oldPath: string, newPath: string): void;
  unlinkSync(path: string): void;
}

/** Plain words for the error codes a user can do something about. */

/**
 * Write `bytes` to `path` atomically: into a temporary file in the same directory, flushed to disk,
 * then renamed over `path` (a rename within one directory replaces the target in one step). On any
 * failure the temporary file is removed, an existing `path` is left untouched, and a `ModelFileError`
 * names the path and the cause ("disk full", "permission denied", ...). `fs` is for tests.
 *
 * @example
 * writeFileAtomic("model.hmst", encodeContainer({}, []));
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, fs: AtomicFs = nodeFs): void {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  let tempExists = false;
  try {
    fd = fs.openSync(temp, "wx", 0o666); // "wx": never reuse (and later delete) someone else's file
    tempExists = true;
    for (let written = 0; written < bytes.length; ) {
      const n = fs.writeSync(fd, bytes, written, bytes.length - written, written);
      if (!(n > 0)) throw new Error(`write made no progress at byte ${written} of ${bytes.length}`);
      written += n;
    }
    fs.fsyncSync(fd);
    const closing = fd;
    fd = undefined;
    fs.closeSync(closing); // close can report a deferred write error (NFS), so it is inside the try
    fs.renameSync(temp, path);
    tempExists = false;
  } catch (error) {
    if (fd !== undefined) ignoreErrors(() => fs.closeSync(fd as number));
    if (tempExists) ignoreErrors(() => fs.unlinkSync(temp));
    throw ioError("cannot write the file", path, error, "the directory does not exist");
  }
  // Persist the rename itself. Best effort: some platforms (Windows) cannot open a directory.
  ignoreErrors(() => {
    const dirFd = fs.openSync(directory, "r");
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  });
}

/**
 * Read a whole model file into memory; a missing or unreadable file is a `ModelFileError` that names
 * the path. Pass the result to `decodeContainer`.
 *
 * @example
 * const { header, tensors } = decodeContainer(readModelBytes("model.hmst"), "model.hmst");
 */
export function readModelBytes(path: string): Uint8Array {
  try {
    const buffer = nodeFs.readFileSync(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw ioError("cannot read model file", path, error, "file not found");
  }
}

/**
 * Create `dir` (and its parents) if missing, or fail with a `ModelFileError` that says why. Called
 * before training starts, so that an unwritable output location is reported before hours of work.
 */
export function ensureDirectory(dir: string): void {
  try {
    nodeFs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw ioError("cannot create the output folder", dir, error, "a parent folder is missing");
  }
}

function ioError(action: string, path: string, error: unknown, enoentWords: string): ModelFileError {
  const result = new ModelFileError(`${path}: ${action}: ${fileErrorWords(error, enoentWords)}`, {
    file: path,
  });
  result.cause = error;
  return result;
}

function ignoreErrors(action: () => void): void {
  try {
    action();
  } catch {
    // Cleanup and best-effort syncing must not hide the error the caller needs to see.
  }
}
