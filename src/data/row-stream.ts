/**
 * The row reader for input that arrives over time (a pipe, a 10 GB file, a socket): the same CSV dialect,
 * header rule and JSON row forms as `readTable`, read one piece at a time in bounded memory. A CSV is cut
 * only at a line end outside quotes, so a quoted field may span pieces; JSON arrives as JSON Lines.
 */
import { DataError, where } from "../tensor/errors.js";
import { scanRecords } from "./csv-records.js";
import { checkWidth, headerOf, type HeaderRule, jsonRow, type JsonShape, type TableRow } from "./rows.js";

/** A row read from a stream, with the column names of its input when the input has them. */
export interface StreamedRow extends TableRow {
  names?: readonly string[];
  /** Why the row could not be read (only with `faults: "yield"`); its cells are then empty. */
  error?: DataError;
}

/**
 * What a row that cannot be read does to the stream: end it with the error (a file read once), or come
 * out as a row with `error` set while the rows after it keep coming (a service that must outlive a bad row).
 * Errors that are not one row's (a header, a quote never closed) end the stream either way.
 */
export type RowFaults = "throw" | "yield";

/**
 * Rows from pieces of text (strings, or UTF-8 bytes such as a Node stream gives), as they arrive.
 * The rows are those `readTable` reads from the whole text, with the same lines and the same errors.
 * A row that cannot be read (a CSV row wider or narrower than the header, a line that is not JSON, JSON
 * keys unlike the first row's) still takes its row number, so the rows after it keep theirs.
 *
 * @example
 * for await (const r of readRowStream(process.stdin, "standard input")) console.log(r.row, r.cells);
 */
export async function* readRowStream(
  pieces: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  file: string,
  header: HeaderRule = "auto",
  faults: RowFaults = "throw",
): AsyncGenerator<StreamedRow> {
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  let line = 1; // the line `buffer` starts on
  let format: "csv" | "json" | undefined;
  let names: string[] | undefined;
  let started = false; // the CSV's first record (header or not) has been seen
  let row = 0;
  const shape: JsonShape = {};
  /** A row that could not be read: thrown, or passed on with its error. */
  const fault = (e: unknown, r: { row: number; line?: number }): StreamedRow => {
    if (faults === "throw" || !(e instanceof DataError)) throw e;
    return { cells: [], row: r.row, line: r.line, error: e };
  };

  function* csvRows(text: string): Generator<StreamedRow> {
    const { records, nextLine } = scanRecords(text, file, line);
    line = nextLine;
    for (const rec of records) {
      if (!started) {
        started = true;
        names = headerOf(rec, header, file);
        if (names) continue;
      }
      const r: StreamedRow = { cells: rec.fields, row: ++row, line: rec.line };
      if (names) {
        try {
          checkWidth(r, names, file);
        } catch (e) {
          yield fault(e, r);
          continue;
        }
        r.names = names;
      }
      yield r;
    }
  }

  function* jsonRows(text: string): Generator<StreamedRow> {
    const lines = text.split(/\r\n|\n|\r/);
    if (lines[lines.length - 1] === "") lines.pop(); // a piece ends at a line end: nothing follows it
    for (const s of lines) {
      const at = line++;
      if (s.trim() === "") continue;
      const place = { row: ++row, line: at };
      let r: StreamedRow;
      try {
        r = jsonRow(parseLine(s, file, at), place, shape, file);
      } catch (e) {
        yield fault(e, place);
        continue;
      }
      if (shape.names) r.names = shape.names;
      yield r;
    }
  }

  const take = (text: string) => (format === "json" ? jsonRows(text) : csvRows(text));
  for await (const piece of pieces) {
    buffer += typeof piece === "string" ? piece : decoder.decode(piece, { stream: true });
    if (format === undefined) {
      const first = buffer.replace(/^\ufeff/, "").trimStart()[0];
      if (first === undefined) continue;
      format = first === "[" || first === "{" ? "json" : "csv";
      if (format === "json") buffer = buffer.replace(/^\ufeff/, "");
    }
    const cut = lastCut(buffer, format === "csv");
    if (cut === 0) continue;
    yield* take(buffer.slice(0, cut));
    buffer = buffer.slice(cut);
  }
  buffer += decoder.decode();
  if (buffer.length > 0) yield* take(buffer);
}

/** One JSON Lines line's value. */
function parseLine(s: string, file: string, line: number): unknown {
  try {
    return JSON.parse(s);
  } catch (e) {
    throw new DataError(
      `${where({ file, line })}not valid JSON (${(e as Error).message}); a stream holds one JSON row per line`,
      { file, line },
    );
  }
}

/**
 * Where a buffer can be cut: just after its last line end (outside quotes for CSV). A CR at the very end
 * is not a cut, since its LF may be in the next piece. 0 when there is none yet.
 */
function lastCut(text: string, quotes: boolean): number {
  let cut = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quotes && c === 34)
      quoted = !quoted; // "" inside quotes flips twice
    else if (!quoted && (c === 10 || (c === 13 && i + 1 < text.length && text.charCodeAt(i + 1) !== 10)))
      cut = i + 1;
  }
  return cut;
}
