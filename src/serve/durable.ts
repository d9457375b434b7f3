/**
 * A learner that loses nothing it acknowledged: rows are checked, written to the write-ahead log (group
 * commit: the rows of every request that arrived while the previous fsync ran go to disk together), and
 * only then learnt, in arrival order. The learner is checkpointed every `every` rows into
 * `dir/checkpoints/<seq>/` (made aside and renamed into place, so a checkpoint is whole or absent); a
 * resume loads the newest good checkpoint — a damaged one is skipped — and replays the log after it, and
 * continues bit-identically to a learner that was never interrupted and saw the same acknowledged rows.
 */
import * as fs from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import { backend } from "../backend/index.js";
import { openLearner, saveLearner } from "../io/learner-file.js";
import type { Learner, Prediction, Row } from "../learner/learner.js";
import type { RowFormat } from "../learner/rows.js";
import { DataError } from "../tensor/errors.js";
import { acceptFeatures, acceptRows, type AcceptedRow } from "./accept.js";
import { LogError, type LogFs, WriteAheadLog } from "./wal.js";

/** Options of `DurableLearner.create` and `serve`: checkpoint spacing and count, and the log's bounds. */
export interface DurableOptions {
  /** Rows between automatic checkpoints (default 10,000). */
  every?: number;
  /** Checkpoints kept; the older ones let a resume skip a damaged newest one (default 2). */
  keep?: number;
  /** The log's size bound in bytes: past it a checkpoint is taken and the log pruned behind it (default 1 GiB). */
  logBytes?: number;
  /** Bytes per log segment (default 64 MiB, at most a quarter of `logBytes`). */
  segmentBytes?: number;
  /** Rows at most in one group commit (default 4,096; one request's rows are never split). */
  commitRows?: number;
  warn?: (message: string) => void;
  fs?: LogFs;
  /**
   * Told, on resume, the backend a checkpoint names (null: one saved before it was kept) before its
   * learner is built: where a caller picks the kernels the learner continues on.
   */
  beforeLoad?: (backend: string | null) => void;
}

/** One answer per row: the prediction made before learning, or why the learner refused it. */
export type Observed = Prediction | { error: string };
/** A request's answers, and the sequence number of its last row (the rows before it are learnt too). */
export interface ObserveAnswer {
  seq: number;
  predictions: Observed[];
}

type Job =
  | { kind: "observe"; rows: AcceptedRow[]; done: (r: ObserveAnswer) => void; fail: (e: unknown) => void }
  | { kind: "checkpoint"; done: (seq: number) => void; fail: (e: unknown) => void };

type ObserveJob = Extract<Job, { kind: "observe" }>;

/** Rows learnt between two looks at the event loop (so /predict and new requests are served meanwhile). */
const YIELD_ROWS = 32;
const CHECKPOINT_RE = /^\d{16}$/;
const META = "checkpoint.json";
/** The folder name of the checkpoint after row `seq`. */
export const seqName = (seq: number): string => String(seq).padStart(16, "0");

/**
 * A learner with a write-ahead log and checkpoints in a folder.
 *
 * @example
 * const durable = await DurableLearner.create("runs/live", Learner.create({ task: "classification" }));
 * const { predictions } = await durable.observe([{ x: [1, 2], y: "a" }]); // in the log, then learnt
 * await durable.close(); // drains, checkpoints
 * const again = await DurableLearner.resume("runs/live");
 */
export class DurableLearner {
  private readonly queue: Job[] = [];
  private pumping: Promise<void> | null = null;
  private format: RowFormat;
  private queued = 0;
  private closing = false;
  private applied: number;
  private lastCheckpoint: number;
  private readonly every: number;
  private readonly keep: number;
  private readonly logBytes: number;
  private readonly commitRows: number;

  private constructor(
    readonly dir: string,
    readonly learner: Learner,
    private readonly log: WriteAheadLog,
    checkpointSeq: number,
    options: DurableOptions,
  ) {
    this.format = learner.getState().format;
    this.applied = log.nextSeq - 1;
    this.lastCheckpoint = checkpointSeq;
    this.every = options.every ?? 10_000;
    this.keep = Math.max(1, options.keep ?? 2);
    this.logBytes = options.logBytes ?? 1 << 30;
    this.commitRows = options.commitRows ?? 4096;
  }

  /** Start a durable learner in `dir` (which must hold none yet): checkpoint 0, then an empty log. */
  static async create(dir: string, learner: Learner, options: DurableOptions = {}): Promise<DurableLearner> {
    if (checkpointsIn(dir).length > 0)
      throw new DataError(`${dir}: holds a learner already; resume it instead`, { file: dir });
    await writeCheckpoint(dir, learner, 0);
    const log = WriteAheadLog.open(join(dir, "wal"), logOptions(options, 1));
    return new DurableLearner(dir, learner, log, 0, options);
  }

  /**
   * The learner in `dir`: the newest checkpoint that loads (a damaged one is skipped with a warning),
   * with every logged row after it learnt again.
   */
  static async resume(dir: string, options: DurableOptions = {}): Promise<DurableLearner> {
    const warn = options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
    const seqs = checkpointsIn(dir);
    if (seqs.length === 0)
      throw new DataError(`${dir}: no checkpoints there; expected a folder a durable learner wrote`, {
        file: dir,
      });
    const log = WriteAheadLog.open(join(dir, "wal"), logOptions({ ...options, warn }, seqs[0] + 1));
    for (const seq of seqs) {
      const where = join(dir, "checkpoints", seqName(seq));
      let learner: Learner;
      let named: string | null;
      try {
        const opened = openLearner(where);
        named = opened.backend;
        options.beforeLoad?.(named);
        learner = opened.learner();
        const meta = JSON.parse(fs.readFileSync(join(where, META), "utf8")) as { seq: number };
        if (meta.seq !== seq) throw new Error(`${META} says row ${meta.seq}`);
      } catch (e) {
        // Set aside, so that it is never counted among the checkpoints kept (and a good one deleted for it).
        const aside = join(dir, "checkpoints", `.damaged-${seqName(seq)}`);
        warn(`${where}: skipped a damaged checkpoint (${(e as Error).message}); moved to ${aside}`);
        fs.rmSync(aside, { recursive: true, force: true });
        fs.renameSync(where, aside);
        continue;
      }
      if (log.nextSeq - 1 < seq)
        throw new LogError(`${dir}: the log ends at row ${log.nextSeq - 1}, behind checkpoint ${seq}`);
      if (log.firstSeq > seq + 1) {
        warn(`${where}: skipped: the log after it was pruned (it begins at row ${log.firstSeq})`);
        continue;
      }
      for (const r of log.read(seq + 1)) applyLogged(learner, r);
      const durable = new DurableLearner(dir, learner, log, seq, options);
      if (named !== backend().name) {
        // On other kernels than the checkpoint names, the learner parts from the log's rows as first
        // learnt: a checkpoint now (at this row, again if need be) names the kernels of every later row,
        // so that replay rebuilds them bit for bit.
        durable.lastCheckpoint = -1;
        await durable
          .checkpoint()
          .catch((e) =>
            warn(
              `${dir}: no checkpoint on these kernels (${(e as Error).message}); replay may round the rows after row ${durable.applied} otherwise than they were learnt`,
            ),
          );
      }
      return durable;
    }
    log.close();
    throw new DataError(`${dir}: no checkpoint there can be loaded`, { file: dir });
  }

  /** Sequence number of the last row learnt (rows are numbered from 1 over the learner's life). */
  get lastSeq(): number {
    return this.applied;
  }
  /** Rows accepted and not yet learnt. */
  get queuedRows(): number {
    return this.queued;
  }
  get logBytesNow(): number {
    return this.log.bytes;
  }
  get fsyncs(): number {
    return this.log.syncs;
  }

  /**
   * Check `rows` (all or none: a DataError names the first bad row), log them, learn them in order;
   * resolves with the predictions made before learning (and the last row's sequence number), once the
   * rows are on disk and learnt.
   */
  observe(rows: readonly { x: unknown; y: unknown }[]): Promise<ObserveAnswer> {
    if (this.closing) throw new LogError(`${this.dir}: the learner is closing; it takes no more rows`);
    const accepted = acceptRows(rows, this.format, this.learner.task);
    this.format = accepted.format;
    this.queued += accepted.rows.length;
    return new Promise((done, fail) => {
      this.queue.push({ kind: "observe", rows: accepted.rows, done, fail });
      this.pump();
    });
  }

  /** The prediction for `x` with the weights as they are now (between steps); learns nothing. */
  predict(x: unknown, at = "x"): Prediction {
    return this.learner.predict(acceptFeatures(x, this.format, at));
  }

  /** Checkpoint after the rows queued before this call; resolves with the last row it holds. */
  checkpoint(): Promise<number> {
    return new Promise((done, fail) => {
      this.queue.push({ kind: "checkpoint", done, fail });
      this.pump();
    });
  }

  /** Learn what is queued, checkpoint, and close the log. */
  async close(): Promise<void> {
    // Rows after this would miss the last checkpoint.
    this.closing = true;
    await this.checkpoint();
    await this.pumping;
    this.log.close();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = this.drain().finally(() => {
      this.pumping = null;
      // A job queued by an answer's continuation after the last look at the queue.
      if (this.queue.length > 0) this.pump();
    });
  }

  /**
   * The learning loop, pipelined: the next batch's write and fsync run (on libuv's threads) while the
   * batch before it, already on disk, is learnt; a batch is learnt only once its own fsync is done.
   */
  private async drain(): Promise<void> {
    // Let the requests that arrive with this one join its commit.
    await new Promise((r) => setImmediate(r));
    let ready: ObserveJob[] = [];
    for (;;) {
      const head = this.queue[0];
      if (head?.kind === "checkpoint") {
        await this.learn(ready);
        ready = [];
        this.queue.shift();
        await this.saveCheckpoint().then(head.done, head.fail);
        continue;
      }
      const jobs = head ? this.takeBatch() : [];
      if (jobs.length === 0 && ready.length === 0) return;
      const rows = jobs.flatMap((j) => j.rows);
      const committed = jobs.length === 0 ? Promise.resolve(false) : this.commit(jobs, rows);
      await this.learn(ready);
      ready = (await committed) ? jobs : [];
    }
  }

  /** Log the rows of `jobs`; false (and the jobs failed) when they could not be. */
  private commit(jobs: ObserveJob[], rows: AcceptedRow[]): Promise<boolean> {
    return this.log.commit(rows).then(
      () => true,
      (e) => {
        this.queued -= rows.length;
        for (const j of jobs) j.fail(e);
        return false;
      },
    );
  }

  /** Learn the rows of logged jobs in order, answering each job; predictions are served every few rows. */
  private async learn(jobs: ObserveJob[]): Promise<void> {
    for (const j of jobs) {
      const answers: Observed[] = [];
      for (const r of j.rows) {
        answers.push(applyLogged(this.learner, r));
        if (answers.length % YIELD_ROWS === 0) await new Promise((ok) => setImmediate(ok));
      }
      this.applied += j.rows.length;
      this.queued -= j.rows.length;
      j.done({ seq: this.applied, predictions: answers });
      if (this.applied - this.lastCheckpoint >= this.every || this.log.bytes >= this.logBytes)
        await this.saveCheckpoint().catch((e) => this.warnOf(e));
    }
  }

  /** Consecutive observe jobs from the queue's head, up to `commitRows` rows (at least one job). */
  private takeBatch(): ObserveJob[] {
    const jobs: ObserveJob[] = [];
    let n = 0;
    while (this.queue[0]?.kind === "observe") {
      const next = this.queue[0];
      if (jobs.length > 0 && n + next.rows.length > this.commitRows) break;
      jobs.push(next);
      n += next.rows.length;
      this.queue.shift();
    }
    return jobs;
  }

  private async saveCheckpoint(): Promise<number> {
    const seq = this.applied;
    if (seq !== this.lastCheckpoint || !fs.existsSync(join(this.dir, "checkpoints", seqName(seq))))
      await writeCheckpoint(this.dir, this.learner, seq);
    this.lastCheckpoint = seq;
    const kept = checkpointsIn(this.dir);
    for (const old of kept.slice(this.keep))
      fs.rmSync(join(this.dir, "checkpoints", seqName(old)), { recursive: true, force: true });
    // The log is kept back to the oldest checkpoint kept, unless that would pass its bound.
    this.log.prune(Math.min(...kept.slice(0, this.keep)));
    if (this.log.bytes > this.logBytes) this.log.prune(seq);
    return seq;
  }

  private warnOf(e: unknown): void {
    process.stderr.write(`warning: checkpoint failed: ${(e as Error).message}\n`);
  }
}

/** Learn one logged row; a row the learner refuses is answered as such, on replay the same way. */
export function applyLogged(learner: Learner, r: { x: unknown; y: unknown }): Observed {
  try {
    return learner.observe(r.x as Row, r.y as string | number);
  } catch (e) {
    if (e instanceof DataError) return { error: e.message };
    throw e;
  }
}

function logOptions(o: DurableOptions, firstSeq: number) {
  const segmentBytes = o.segmentBytes ?? Math.min(64 << 20, Math.floor((o.logBytes ?? 1 << 30) / 4));
  return { segmentBytes, firstSeq, warn: o.warn, fs: o.fs };
}

/** The checkpoints in `dir`, newest first. */
export function checkpointsIn(dir: string): number[] {
  const root = join(dir, "checkpoints");
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((n) => CHECKPOINT_RE.test(n))
    .map(Number)
    .sort((a, b) => b - a);
}

/** The learner and the row it has learnt up to, made in a hidden folder and renamed into place. */
async function writeCheckpoint(dir: string, learner: Learner, seq: number): Promise<void> {
  const root = join(dir, "checkpoints");
  const aside = join(root, `.${seqName(seq)}.tmp`);
  fs.rmSync(aside, { recursive: true, force: true });
  await saveLearner(learner, aside);
  const meta = { seq, rows: learner.vitals().rows, savedAt: new Date().toISOString() };
  writeFileAtomic(join(aside, META), new TextEncoder().encode(`${JSON.stringify(meta)}\n`));
  const final = join(root, seqName(seq));
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(aside, final);
  const fd = fs.openSync(root, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
