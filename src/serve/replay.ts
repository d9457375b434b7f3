/**
 * The flight recorder: the learner a durable learner's folder held after any logged row, rebuilt bit for
 * bit from the newest checkpoint at or before the window's start and the write-ahead log after it, with
 * per-row statistics across the window when asked (replay-trace.ts). It only reads the folder, so it can
 * run beside the live service: a damaged or growing tail of the last segment ends the log it sees, and
 * nothing is cut or pruned.
 */
import * as fs from "node:fs";
import { join } from "node:path";
import { loadLearner } from "../io/learner-file.js";
import type { Learner } from "../learner/learner.js";
import { DataError } from "../tensor/errors.js";
import { type TraceRow, traceLearner } from "./replay-trace.js";
import { applyLogged, checkpointsIn, seqName } from "./durable.js";
import { decodeSegment, listSegments, type LogRecord, nodeLogFs, segmentName } from "./wal.js";

/** Which rows `replayLearner` replays, and whether to trace each one. */
export interface ReplayWindow {
  /** The window starts after this row: the learner is rebuilt to it first (0 = before any row). */
  from: number;
  /** The last row learnt; default the last row in the log. */
  to?: number;
  /** Collect each row's statistics in (from, to]. */
  trace?: boolean;
  warn?: (message: string) => void;
  /** Told the backend the starting checkpoint names (null: none) before its learner is built (see `DurableOptions`). */
  beforeLoad?: (backend: string | null) => void;
}

/**
 * What `replayLearner` returns: the learner after the window, where it started, and the trace if asked for.
 */
export interface Replayed {
  /** The learner after row `to`. */
  learner: Learner;
  /** The checkpoint it started from, and the window. */
  checkpoint: number;
  from: number;
  to: number;
  /** Per-row statistics over (from, to] when traced; rows the learner refused are listed with their message. */
  trace: TraceRow[] | null;
  refused: { seq: number; error: string }[];
}

/**
 * Rebuild the learner of the durable folder `dir` after row `to`, tracing the rows after `from`.
 *
 * @example
 * const r = await replayLearner("runs/service", { from: 4000, to: 4200, trace: true });
 * r.trace![0].gradNorm; // the gradient norm of the step row 4001 completed
 * await r.learner.save("runs/at-4200");
 */
export async function replayLearner(dir: string, window: ReplayWindow): Promise<Replayed> {
  const warn = window.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const log = readLog(join(dir, "wal"), warn);
  const { last } = log;
  const to = window.to ?? last;
  const { from } = window;
  if (!Number.isSafeInteger(from) || from < 0)
    throw new DataError(`replay: --from: expected a row number ≥ 0, got ${from}`, { field: "from" });
  if (!Number.isSafeInteger(to) || to < from)
    throw new DataError(`replay: --to: expected a row number ≥ --from (${from}), got ${to}`, { field: "to" });
  if (to > last)
    throw new DataError(`replay: --to ${to}: the log of ${dir} ends at row ${last}`, { field: "to" });
  const { learner, seq } = await startingPoint(dir, from, log.first, warn, window.beforeLoad);
  const trace: TraceRow[] = [];
  const refused: Replayed["refused"] = [];
  for (const r of log.rows(seq + 1, from)) observeLogged(learner, r);
  if (window.trace) traceLearner(learner, Math.max(from, seq) + 1, (row) => trace.push(row));
  for (const r of log.rows(Math.max(from, seq) + 1, to)) {
    const error = observeLogged(learner, r);
    if (error !== null) refused.push({ seq: r.seq, error });
  }
  return { learner, checkpoint: seq, from, to, trace: window.trace ? trace : null, refused };
}

/** The checkpoints in `dir`, newest first. */
export const checkpointSeqs = checkpointsIn;

/** The newest checkpoint at or before `from` that loads and whose rows after it are still logged. */
async function startingPoint(
  dir: string,
  from: number,
  logFirst: number,
  warn: (m: string) => void,
  beforeLoad?: (backend: string | null) => void,
): Promise<{ learner: Learner; seq: number }> {
  const all = checkpointSeqs(dir);
  if (all.length === 0)
    throw new DataError(`${dir}: no checkpoints there; expected a folder a durable learner wrote`, {
      file: dir,
    });
  for (const seq of all.filter((s) => s <= from)) {
    if (seq + 1 < logFirst) break;
    const where = join(dir, "checkpoints", seqName(seq));
    try {
      return { learner: await loadLearner(where, beforeLoad), seq };
    } catch (e) {
      warn(`${where}: skipped a damaged checkpoint (${(e as Error).message})`);
    }
  }
  const oldest = all[all.length - 1];
  throw new DataError(
    `replay: --from ${from}: no checkpoint at or before it can be replayed from (the checkpoints kept are at rows ${[...all].reverse().join(", ")}; the log begins at row ${logFirst}); replay from row ${Math.max(oldest, logFirst - 1)} or later, or keep more checkpoints (serve.keep)`,
    { field: "from" },
  );
}

/** As the durable learner learns a logged row: a row the learner refuses is refused the same way again. */
function observeLogged(learner: Learner, r: LogRecord): string | null {
  const answer = applyLogged(learner, r);
  return "error" in answer ? answer.error : null;
}

/** The log in `walDir`, read only and a segment at a time (a log may hold a gigabyte of rows). */
interface LogReader {
  first: number;
  last: number;
  /** The records `from..to`, in order. */
  rows(from: number, to: number): Generator<LogRecord>;
}

/**
 * Open the log in `walDir` for reading: a damaged tail of the last segment (a torn write, or a write in
 * progress) ends it, with a warning; damage in an earlier segment is an error when its rows are read.
 */
function readLog(walDir: string, warn: (m: string) => void): LogReader {
  if (!fs.existsSync(walDir))
    throw new DataError(`${walDir}: no write-ahead log there; expected a folder a durable learner wrote`, {
      file: walDir,
    });
  const segments = listSegments(nodeLogFs, walDir);
  const pathOf = (seq: number) => join(walDir, segmentName(seq));
  const decode = (i: number): LogRecord[] => {
    const seg = decodeSegment(fs.readFileSync(pathOf(segments[i])), segments[i]);
    const end = segments[i + 1];
    if (end === undefined) {
      if (seg.damage) warn(`${pathOf(segments[i])}: the log ends at byte ${seg.wholeBytes} (${seg.damage})`);
    } else if (seg.damage || segments[i] + seg.records.length !== end)
      throw new DataError(
        `${pathOf(segments[i])}: damaged at byte ${seg.wholeBytes} (${seg.damage ?? "records missing"}); rows ${segments[i] + seg.records.length} to ${end - 1} cannot be replayed`,
        { file: pathOf(segments[i]) },
      );
    return seg.records;
  };
  if (segments.length === 0) return { first: 1, last: 0, rows: function* () {} };
  const tail = decode(segments.length - 1);
  return {
    first: segments[0],
    last: segments[segments.length - 1] + tail.length - 1,
    *rows(from, to) {
      for (let i = 0; i < segments.length; i++) {
        const end = segments[i + 1] ?? Number.POSITIVE_INFINITY;
        if (end <= from || segments[i] > to) continue;
        for (const r of i === segments.length - 1 ? tail : decode(i))
          if (r.seq >= from && r.seq <= to) yield r;
      }
    },
  };
}
