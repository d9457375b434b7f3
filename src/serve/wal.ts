/**
 * The write-ahead log of a durable learner: every accepted row, appended before it is learnt, so that a
 * process killed at any moment loses nothing it acknowledged (as SQLite's and Postgres's logs do).
 *
 * A record is [payload length: u32 LE][CRC-32 of the length bytes and the payload: u32 LE][payload: the
 * JSON of `{seq, x, y}`]. Rows are written by group commit: one `write` and one `fsync` for a whole batch,
 * and a row counts as acknowledged only after its batch's fsync. The log is a folder of segments named
 * by the sequence number of their first record; a full segment is closed and a new one begun, and
 * segments wholly behind a checkpoint are pruned. Opening the log checks the last segment: a torn or
 * damaged tail (a short record, a bad checksum, a sequence number out of order) is cut at the last whole
 * record, with a warning. Damage in an earlier segment is an error: rows acknowledged there are lost.
 * A batch whose write or fsync fails (a full disk) is cut off again, and the log goes on.
 */
import * as nodeFs from "node:fs";
import { join } from "node:path";
import { crc32 } from "../io/crc32.js";
import type { Label, Row } from "../learner/learner.js";
import { HomeostatError } from "../tensor/errors.js";

/** A row as the log keeps it: its sequence number (1, 2, … over the learner's life) and the row as accepted. */
export interface LogRecord {
  seq: number;
  x: Row;
  y: Label;
}

/** A damaged log that cannot be cut (rows acknowledged in it would be lost), or a log that can take no more writes. */
export class LogError extends HomeostatError {}

/** The file-system calls the log makes; Node's `fs` by default, a counting or failing copy in tests. */
export interface LogFs {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** Flush a file (or a folder's entries) to disk; asynchronous, so requests keep arriving meanwhile. */
  fsync(fd: number): Promise<void>;
  ftruncateSync(fd: number, length: number): void;
  closeSync(fd: number): void;
  readFileSync(path: string): Uint8Array;
  readdirSync(path: string): string[];
  statSync(path: string): { size: number };
  unlinkSync(path: string): void;
  mkdirSync(path: string, options: { recursive: true }): unknown;
}

/** Node's file system as `LogFs`. */
export const nodeLogFs: LogFs = {
  openSync: (p, f) => nodeFs.openSync(p, f),
  writeSync: (fd, b, o, l, p) => nodeFs.writeSync(fd, b, o, l, p),
  fsync: (fd) => new Promise((ok, fail) => nodeFs.fsync(fd, (e) => (e ? fail(e) : ok()))),
  ftruncateSync: (fd, l) => nodeFs.ftruncateSync(fd, l),
  closeSync: (fd) => nodeFs.closeSync(fd),
  readFileSync: (p) => nodeFs.readFileSync(p),
  readdirSync: (p) => nodeFs.readdirSync(p),
  statSync: (p) => nodeFs.statSync(p),
  unlinkSync: (p) => nodeFs.unlinkSync(p),
  mkdirSync: (p, o) => nodeFs.mkdirSync(p, o),
};

/** Options of `WriteAheadLog.open`: segment size, first sequence number, a warning sink, the file system. */
export interface LogOptions {
  /** A segment is closed, and the next begun, once it holds this many bytes (default 64 MiB). */
  segmentBytes?: number;
  /** The first sequence number of a new, empty log (default 1). */
  firstSeq?: number;
  /** Where the warning about a cut tail goes (default: standard error). */
  warn?: (message: string) => void;
  fs?: LogFs;
}

const HEADER = 8;
/** A length above this is not a record of ours: the header itself is damaged. */
const MAX_PAYLOAD = 1 << 28;
const SEGMENT_RE = /^(\d{16})\.wal$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The file of the segment whose first row is `firstSeq`. */
export const segmentName = (firstSeq: number): string => `${String(firstSeq).padStart(16, "0")}.wal`;

/**
 * The bytes of records `seq`, `seq + 1`, … for `rows`, one buffer (one write).
 *
 * @example
 * encodeRecords(1, [{ x: [1, 2], y: "a" }]).length; // 8 + the JSON's length
 */
export function encodeRecords(seq: number, rows: readonly { x: Row; y: Label }[]): Uint8Array {
  const payloads = rows.map((r, i) => encoder.encode(JSON.stringify({ seq: seq + i, x: r.x, y: r.y })));
  const out = new Uint8Array(payloads.reduce((n, p) => n + HEADER + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of payloads) {
    view.setUint32(at, p.length, true);
    view.setUint32(at + 4, crc32(p, crc32(out.subarray(at, at + 4))), true);
    out.set(p, at + HEADER);
    at += HEADER + p.length;
  }
  return out;
}

/** A segment's whole records, the bytes they take, and what is wrong after them (if anything). */
export interface DecodedSegment {
  records: LogRecord[];
  wholeBytes: number;
  damage: string | null;
}

/**
 * The records of a segment whose first record is `firstSeq`, up to the first damaged one.
 *
 * @example
 * decodeSegment(encodeRecords(5, [{ x: [1], y: 0 }]), 5).records[0].seq; // 5
 */
export function decodeSegment(bytes: Uint8Array, firstSeq: number): DecodedSegment {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: LogRecord[] = [];
  let at = 0;
  const damaged = (why: string): DecodedSegment => ({ records, wholeBytes: at, damage: why });
  while (at < bytes.length) {
    if (bytes.length - at < HEADER) return damaged(`a short record header (${bytes.length - at} bytes)`);
    const length = view.getUint32(at, true);
    if (length > MAX_PAYLOAD) return damaged(`an impossible record length ${length}`);
    if (bytes.length - at - HEADER < length)
      return damaged(`a short record (${bytes.length - at - HEADER} of ${length} payload bytes)`);
    const payload = bytes.subarray(at + HEADER, at + HEADER + length);
    if (view.getUint32(at + 4, true) !== crc32(payload, crc32(bytes.subarray(at, at + 4))))
      return damaged("a record whose checksum does not match");
    const record = parseRecord(payload);
    const expected = firstSeq + records.length;
    if (!record) return damaged("a record that is not a row");
    if (record.seq !== expected) return damaged(`sequence number ${record.seq} where ${expected} was due`);
    records.push(record);
    at += HEADER + length;
  }
  return { records, wholeBytes: at, damage: null };
}

function parseRecord(payload: Uint8Array): LogRecord | null {
  try {
    const r = JSON.parse(decoder.decode(payload)) as LogRecord;
    return r && typeof r === "object" && Number.isSafeInteger(r.seq) && "x" in r && "y" in r ? r : null;
  } catch {
    return null;
  }
}

/**
 * An open write-ahead log. `commit` appends a batch with one write and one fsync; `read` iterates the
 * records from a sequence number; `prune` deletes the segments wholly at or behind one.
 *
 * @example
 * const log = WriteAheadLog.open("runs/live/wal");
 * const first = await log.commit([{ x: [1, 2], y: "a" }]); // durable once this resolves
 * for (const r of log.read(first)) console.log(r.seq, r.x, r.y);
 */
export class WriteAheadLog {
  /** Sequence number the next committed row gets. */
  private next: number;
  private fd: number;
  /** Bytes of whole records in the open segment. */
  private size: number;
  private readonly sizes = new Map<number, number>();
  private failure: Error | null = null;
  private busy = false;
  /** A failed batch may lie past the last synced record: cut it before the next. */
  private cutOwed = false;
  /** A segment made by `open` whose folder entry is not yet known to be on disk. */
  private unsyncedDir: boolean;
  /** Fsyncs of record bytes made (for the group-commit figures). */
  syncs = 0;

  private constructor(
    readonly dir: string,
    private readonly fs: LogFs,
    private readonly segmentBytes: number,
    segments: number[],
    next: number,
    made: boolean,
  ) {
    this.next = next;
    this.unsyncedDir = made;
    for (const s of segments) this.sizes.set(s, fs.statSync(this.pathOf(s)).size);
    const last = segments[segments.length - 1];
    this.size = this.sizes.get(last)!;
    this.fd = fs.openSync(this.pathOf(last), "r+");
  }

  /** Open (or make) the log in `dir`, cutting a damaged tail of its last segment. */
  static open(dir: string, options: LogOptions = {}): WriteAheadLog {
    const fs = options.fs ?? nodeLogFs;
    const warn = options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
    fs.mkdirSync(dir, { recursive: true });
    const segments = listSegments(fs, dir);
    const made = segments.length === 0;
    if (made) {
      const first = options.firstSeq ?? 1;
      fs.closeSync(fs.openSync(join(dir, segmentName(first)), "wx"));
      segments.push(first);
    }
    const last = segments[segments.length - 1];
    const path = join(dir, segmentName(last));
    const bytes = fs.readFileSync(path);
    const seg = decodeSegment(bytes, last);
    if (seg.damage) {
      warn(
        `${path}: damaged tail at byte ${seg.wholeBytes} (${seg.damage}): cut after ${seg.records.length} whole records, ${bytes.length - seg.wholeBytes} bytes dropped`,
      );
      const fd = fs.openSync(path, "r+");
      try {
        fs.ftruncateSync(fd, seg.wholeBytes);
      } finally {
        fs.closeSync(fd);
      }
    }
    return new WriteAheadLog(
      dir,
      fs,
      options.segmentBytes ?? 64 << 20,
      segments,
      last + seg.records.length,
      made,
    );
  }

  /** The sequence number the next committed row will get (one past the last logged row). */
  get nextSeq(): number {
    return this.next;
  }
  /** The first sequence number still in the log. */
  get firstSeq(): number {
    return Math.min(...this.sizes.keys());
  }
  /** Bytes in all segments. */
  get bytes(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }
  get segments(): number {
    return this.sizes.size;
  }

  /**
   * Append `rows` as one write and one fsync (group commit); resolves with the first row's sequence
   * number once they are on disk. When the write or the fsync fails (a full disk) the error is thrown and
   * the rows are not in the log: the segment is cut back to its last synced record and the cut synced,
   * so the next batch follows a whole record and the log goes on once the disk has room again.
   */
  async commit(rows: readonly { x: Row; y: Label }[]): Promise<number> {
    if (this.failure)
      throw new LogError(`${this.dir}: the log takes no more writes after: ${this.failure.message}`);
    if (this.busy) throw new LogError("commit called while another commit is in flight");
    const first = this.next;
    if (rows.length === 0) return first;
    const bytes = encodeRecords(first, rows);
    this.busy = true;
    try {
      await this.prepare();
      try {
        this.write(bytes);
        await this.fs.fsync(this.fd);
      } catch (e) {
        await this.cut().catch(() => undefined);
        throw e;
      }
      this.syncs++;
      this.size += bytes.length;
      this.sizes.set(this.current, this.size);
      this.next += rows.length;
      // The rows are on disk whatever happens now: a rotation that fails is owed to the next commit.
      if (this.size >= this.segmentBytes) await this.rotate().catch(() => undefined);
    } finally {
      this.busy = false;
    }
    return first;
  }

  /** What must be on disk before a batch's first byte: a cut still owed, the folder entry, a rotation. */
  private async prepare(): Promise<void> {
    if (this.cutOwed) await this.cut();
    if (this.unsyncedDir) await this.syncDir();
    this.unsyncedDir = false;
    if (this.size >= this.segmentBytes) await this.rotate();
  }

  private write(bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) {
      const n = this.fs.writeSync(this.fd, bytes, done, bytes.length - done, this.size + done);
      if (!(n > 0)) throw new Error(`write made no progress at byte ${done} of ${bytes.length}`);
      done += n;
    }
  }

  /**
   * Cut the segment back to its last synced record and sync the cut: a part of a failed batch may be in
   * the file (a short write, or a whole batch whose fsync failed), and no row of it was acknowledged.
   * The records before the cut were synced by their own commits, so this fsync vouches for the cut only
   * (never, as in Postgres's fsync trap of 2018, for data whose fsync failed). Until it succeeds the cut
   * is owed, and the next commit makes it before writing.
   */
  private async cut(): Promise<void> {
    this.cutOwed = true;
    this.fs.ftruncateSync(this.fd, this.size);
    await this.fs.fsync(this.fd);
    this.cutOwed = false;
  }

  private get current(): number {
    return Math.max(...this.sizes.keys());
  }

  /**
   * Begin the next segment, named by the next row's sequence number, and sync the folder's entry for it;
   * on failure the full segment stays the open one (and the new file is removed: a stray empty segment
   * would hide the rows written after it).
   */
  private async rotate(): Promise<void> {
    const path = this.pathOf(this.next);
    const fd = this.fs.openSync(path, "wx");
    try {
      await this.syncDir();
    } catch (e) {
      this.fs.closeSync(fd);
      try {
        this.fs.unlinkSync(path);
      } catch (stray) {
        this.failure = stray as Error;
      }
      throw e;
    }
    this.fs.closeSync(this.fd);
    this.fd = fd;
    this.sizes.set(this.next, 0);
    this.size = 0;
  }

  private async syncDir(): Promise<void> {
    const fd = this.fs.openSync(this.dir, "r");
    try {
      await this.fs.fsync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
  }

  /**
   * The logged records with `seq >= from`, in order. A `from` behind the first kept record, or damage in
   * a segment that is not the last, is a LogError.
   */
  *read(from = 1): Generator<LogRecord> {
    const segments = [...this.sizes.keys()].sort((a, b) => a - b);
    if (from < segments[0])
      throw new LogError(`${this.dir}: rows from ${from} were wanted, but the log begins at ${segments[0]}`);
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      const end = segments[i + 1] ?? this.next;
      if (end <= from) continue;
      const bytes = this.fs.readFileSync(this.pathOf(s)).subarray(0, this.sizes.get(s));
      const seg = decodeSegment(bytes, s);
      if (seg.damage || s + seg.records.length !== end)
        throw new LogError(
          `${this.pathOf(s)}: damaged at byte ${seg.wholeBytes} (${seg.damage ?? "records missing"}): acknowledged rows ${s + seg.records.length} to ${end - 1} are lost`,
        );
      for (const r of seg.records) if (r.seq >= from) yield r;
    }
  }

  /** Delete the segments whose rows all have `seq <= upTo` (never the open one); returns the bytes freed. */
  prune(upTo: number): number {
    const segments = [...this.sizes.keys()].sort((a, b) => a - b);
    let freed = 0;
    for (let i = 0; i + 1 < segments.length && segments[i + 1] <= upTo + 1; i++) {
      this.fs.unlinkSync(this.pathOf(segments[i]));
      freed += this.sizes.get(segments[i])!;
      this.sizes.delete(segments[i]);
    }
    return freed;
  }

  close(): void {
    this.fs.closeSync(this.fd);
    this.failure ??= new Error("the log is closed");
  }

  private pathOf(firstSeq: number): string {
    return join(this.dir, segmentName(firstSeq));
  }
}

/** The first rows of the segments in `dir`, in order. */
export function listSegments(fs: LogFs, dir: string): number[] {
  return fs
    .readdirSync(dir)
    .map((name) => SEGMENT_RE.exec(name)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}
