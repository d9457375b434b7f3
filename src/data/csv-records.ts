/**
 * The CSV dialect every reader in Homeostat shares (RFC 4180): quoted fields with "" escapes and line
 * breaks inside, CRLF, LF or a lone CR as line ends, a UTF-8 byte-order mark ignored, blank lines
 * skipped. Records carry the 1-based line they start on, so every later error can point at it.
 */
import { DataError, where } from "../tensor/errors.js";

/** One parsed record: its fields and the 1-based line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Split CSV text into records (RFC 4180). A quoted field may contain commas, line breaks and ""
 * (an escaped quote). Blank lines are skipped wherever they are, as pandas does, so a trailing newline
 * or two is harmless.
 */
export function readRecords(text: string, file: string): CsvRecord[] {
  return scanRecords(text, file, 1).records;
}

/**
 * `readRecords` for a piece of a longer text that starts on line `firstLine` and ends at a record's end;
 * also returns the line the next piece starts on. The streaming reader feeds it one piece at a time.
 */
export function scanRecords(
  text: string,
  file: string,
  firstLine: number,
): { records: CsvRecord[]; nextLine: number } {
  const records: CsvRecord[] = [];
  let i = firstLine === 1 && text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 byte-order mark is not part of the first name
  let line = firstLine;
  while (i < text.length) {
    const startLine = line;
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    let atEnd = false;
    while (!atEnd) {
      if (text[i] === '"') {
        const quoteLine = line;
        quoted = true;
        i++;
        for (;;) {
          if (i >= text.length)
            throw new DataError(
              `${where({ file, line: quoteLine })}a quoted field opened on line ${quoteLine} is never closed`,
              { file, line: quoteLine },
            );
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          // Copy up to the next quote in one slice, counting the line breaks it spans.
          let end = text.indexOf('"', i);
          if (end < 0) end = text.length;
          for (let k = text.indexOf("\n", i); k >= 0 && k < end; k = text.indexOf("\n", k + 1)) line++;
          field += text.slice(i, end);
          i = end;
        }
        const next = text[i];
        if (i < text.length && next !== "," && next !== "\n" && next !== "\r") {
          throw new DataError(
            `${where({ file, line })}expected a comma or a line end after the closing quote of field ${fields.length + 1}, got ${JSON.stringify(next)}`,
            { file, line },
          );
        }
      } else {
        const start = i;
        while (i < text.length && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") i++;
        field = text.slice(start, i);
      }
      fields.push(field);
      field = "";
      if (text[i] === ",") {
        i++;
        continue;
      }
      // End of record: CRLF, LF, a lone CR, or the end of the text.
      if (text[i] === "\r") i++;
      if (text[i] === "\n") i++;
      line++;
      atEnd = true;
    }
    // A line holding only `""` is a record with one empty field, not a blank line.
    const blank = fields.length === 1 && !quoted && fields[0].trim() === "";
    if (!blank) records.push({ fields, line: startLine });
  }
  return { records, nextLine: line };
}
