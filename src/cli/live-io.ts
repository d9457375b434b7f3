/**
 * Where `homeostat live` reads and writes: the rows from a file or standard input as they arrive, one
 * prediction line at a time to a file or standard output (each line written through at once, so a
 * reader at the other end of a pipe sees it), and the progress line on a terminal.
 */
import { closeSync, createReadStream, openSync, statSync, writeSync } from "node:fs";
import { DataError, fileErrorWords } from "../tensor/errors.js";
import { fmtInt } from "./ui.js";

/** The input's pieces as they arrive, and the name messages give it. */
export interface LiveInput {
  name: string;
  pieces: AsyncIterable<string | Uint8Array>;
}

/**
 * A file, or standard input for "-". A path that cannot be opened is the user's mistake (a DataError),
 * reported before any row is read.
 *
 * @example
 * const { name, pieces } = openInput("-"); // "standard input"
 */
export function openInput(path: string): LiveInput {
  if (path === "-") return { name: "standard input", pieces: process.stdin };
  let fd: number;
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    fd = openSync(path, "r");
  } catch (e) {
    throw new DataError(`${path}: cannot read the input: ${fileErrorWords(e)}`, { file: path });
  }
  return { name: path, pieces: createReadStream("", { fd }) };
}

/**
 * The pieces until `stop` is called: then the rows read so far are the last (the source is closed),
 * so Ctrl-C on an endless pipe still ends in a checkpoint.
 *
 * @example
 * const { pieces, stop } = stoppable(process.stdin); process.once("SIGINT", stop);
 */
export function stoppable(source: AsyncIterable<string | Uint8Array>): {
  pieces: AsyncIterable<string | Uint8Array>;
  stop: () => void;
} {
  let stop = () => {};
  const stopped = new Promise<null>((resolve) => {
    stop = () => resolve(null);
  });
  async function* pieces() {
    const it = source[Symbol.asyncIterator]();
    for (;;) {
      const next = await Promise.race([it.next(), stopped]);
      if (next === null) break;
      if (next.done) return;
      yield next.value;
    }
    // Stopped with a read pending: the iterator's return would wait for it, so the source is closed.
    (source as { destroy?: () => void }).destroy?.();
  }
  return { pieces: pieces(), stop };
}

/** Where prediction lines go; `closed` once the reader at the other end has gone (a closed pipe). */
export interface LiveOutput {
  write(line: string): void;
  readonly closed: boolean;
  close(): void;
}

/**
 * A file (made or truncated), or standard output for "-".
 *
 * @example
 * const out = openOutput("-"); out.write('{"row":1,"label":"a","probability":0.9}');
 */
export function openOutput(path: string): LiveOutput {
  if (path === "-") {
    let closed = false;
    // A reader that stops early (`| head`) closes the pipe: stop reading rows, but save what was learnt
    // (bin.ts's own handler would exit at once), so the handlers are set aside while live writes.
    const others = process.stdout.listeners("error") as ((e: Error) => void)[];
    process.stdout.removeAllListeners("error");
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") closed = true;
      else throw e;
    });
    return {
      write: (line) => {
        if (!closed) process.stdout.write(`${line}\n`);
      },
      get closed() {
        return closed;
      },
      close: () => {
        if (closed) return; // nothing more can be written: keep ignoring the closed pipe
        process.stdout.removeAllListeners("error");
        for (const f of others) process.stdout.on("error", f);
      },
    };
  }
  let fd: number;
  try {
    fd = openSync(path, "w");
  } catch (e) {
    throw new DataError(`${path}: cannot write the predictions: ${fileErrorWords(e)}`, { file: path });
  }
  return {
    write: (line) => {
      writeSync(fd, `${line}\n`);
    },
    closed: false,
    close: () => closeSync(fd),
  };
}

/** The vitals the progress line shows. */
export interface ProgressVitals {
  rows: number;
  prequential: { accuracy: number | null; loss: number | null };
  recent: { accuracy: number | null; loss: number | null };
  drifts: readonly unknown[];
  replay: { size: number; capacity: number };
}

/**
 * The one line a terminal shows while rows stream in (rows, rows/s, accuracy, drifts, replay fill).
 *
 * @example
 * progressLine(1200, 400, vitals); // "live  1,200 rows  400 rows/s  acc 91.20%  recent 93.00%  drifts 1  replay 512/1,000"
 */
export function progressLine(rows: number, rate: number, v: ProgressVitals): string {
  const score = (s: { accuracy: number | null; loss: number | null }): string =>
    s.accuracy !== null
      ? `${(100 * s.accuracy).toFixed(2)}%`
      : s.loss !== null
        ? `loss ${s.loss.toPrecision(4)}`
        : "–";
  return [
    `live  ${fmtInt(rows)} rows`,
    `${fmtInt(rate)} rows/s`,
    `acc ${score(v.prequential)}`,
    `recent ${score(v.recent)}`,
    `drifts ${v.drifts.length}`,
    `replay ${fmtInt(v.replay.size)}/${fmtInt(v.replay.capacity)}`,
  ].join("  ");
}

/** Redraws the progress line on `stream` at most ten times a second; `end` leaves the last one standing. */
export function progressTicker(
  stream: NodeJS.WriteStream | null,
  read: () => string,
): { tick(): void; end(): void } {
  let last = 0;
  const draw = () => stream!.write(`\r\x1b[2K${read()}`);
  return {
    tick() {
      const now = performance.now();
      if (!stream || now - last < 100) return;
      last = now;
      draw();
    },
    end() {
      if (!stream) return;
      draw();
      stream.write("\n");
    },
  };
}
