import { test } from "node:test";
import assert from "node:assert/strict";
import { readRowStream } from "../src/data/row-stream.js";
import { readTable } from "../src/data/rows.js";
import { DataError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

async function collect(pieces: Iterable<string | Uint8Array>, header: "auto" | "required" = "auto") {
  const rows = [];
  for await (const r of readRowStream(pieces, "s.csv", header))
    rows.push({ cells: r.cells, row: r.row, line: r.line, names: r.names });
  return rows;
}

/** What readTable reads from the whole text, in the stream's shape. */
function whole(text: string, header: "auto" | "required" = "auto") {
  const t = readTable(text, "s.csv", header);
  return t.rows.map((r) => ({ cells: r.cells, row: r.row, line: r.line, names: t.names }));
}

const TEXTS = [
  'a,"b, with comma","the ""label"""\r\n1,2,"x, y"\r\n"3","4","say ""hi""\nthere"\r\n\r\n5,6,plain\r\n',
  "\ufeffx,y\n1,2\n\n\n3,4", // a BOM, blank lines, no final line end
  "1,2\r3,4\r5,6\r", // lone CRs
  'p,q\n"multi\r\nline","é ü ß"\n7,8\n',
  '{"a":1,"b":2}\n\n{"b":4,"a":3}\r\n{"x":{"a":5,"b":6},"y":"cat"}\n',
  "[1,2]\n[3,4]\n",
];

test("readRowStream: every split of the text into two pieces gives readTable's rows, lines and names", async () => {
  for (const text of TEXTS) {
    const expected = whole(text);
    for (let cut = 0; cut <= text.length; cut++) {
      assert.deepEqual(
        await collect([text.slice(0, cut), text.slice(cut)]),
        expected,
        `${JSON.stringify(text)} cut at ${cut}`,
      );
    }
  }
});

test("readRowStream: UTF-8 bytes in random pieces (multi-byte characters split) and one character at a time", async () => {
  const rng = new Rng(9);
  const bytes = (s: string) => new TextEncoder().encode(s);
  for (const text of TEXTS) {
    const expected = whole(text);
    const b = bytes(text);
    for (let trial = 0; trial < 20; trial++) {
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < b.length; ) {
        const n = 1 + Math.floor(rng.next() * 7);
        pieces.push(b.subarray(i, i + n));
        i += n;
      }
      assert.deepEqual(await collect(pieces), expected, JSON.stringify(text));
    }
    assert.deepEqual(await collect([...text]), expected);
  }
});

test("readRowStream: errors name the same line as readTable's; a ragged row and bad JSON stop the stream", async () => {
  const ragged = "a,b\n1,2\n3\n";
  await assert.rejects(
    collect([ragged.slice(0, 5), ragged.slice(5)]),
    (e: unknown) => e instanceof DataError && e.message === "s.csv:3: line 3 has 1 field, the header has 2",
  );
  assert.throws(
    () => readTable(ragged, "s.csv"),
    (e: unknown) => e instanceof DataError && e.message === "s.csv:3: line 3 has 1 field, the header has 2",
  );
  await assert.rejects(collect(['{"a":1}\n', '{"a":\n']), /s\.csv:2: not valid JSON/);
  await assert.rejects(collect(['{"a":1}\n{"b":2}\n']), /s\.csv:2: its keys differ/);
  await assert.rejects(
    collect(['a,"open\n1\n']),
    /s\.csv:1: a quoted field opened on line 1 is never closed/,
  );
  // A header is required where the caller says so, even over numbers.
  assert.deepEqual((await collect(["1,2\n3,4\n"], "required"))[0].names, ["1", "2"]);
  assert.deepEqual(await collect([]), []);
});

test("readRowStream: memory stays bounded: a long stream is cut at line ends and read as it arrives", async () => {
  let produced = 0;
  let maxAhead = 0;
  async function* source() {
    yield "x,y\n";
    for (let i = 0; i < 5000; i++) {
      produced++;
      yield `${i},${i * 2}\n`;
    }
  }
  let seen = 0;
  for await (const r of readRowStream(source(), "big.csv")) {
    seen++;
    maxAhead = Math.max(maxAhead, produced - seen);
    assert.equal(r.cells[1], String(2 * (seen - 1)));
  }
  assert.equal(seen, 5000);
  // Each row is yielded before the next piece is pulled: the reader never runs ahead of its input.
  assert.ok(maxAhead <= 1, `read ${maxAhead} pieces ahead`);
});
