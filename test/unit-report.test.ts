/**
 * The report's charts read the right way round: checked by parsing the rendered SVG, not by its text.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderReport } from "../src/report/render.js";
import { syntheticRecord } from "./helpers/records.js";

test("accuracy heatmap: the cell in row i (after training task i) and column j (task j) shows R[i][j]", () => {
  const R = [
    [0.91, 0.12, 0.07],
    [0.64, 0.88, 0.23],
    [0.45, 0.71, 0.97],
  ];
  const record = syntheticRecord({ steps: 20, continualTasks: 3 });
  record.continual!.R = R;
  const svg = renderReport([{ label: "cl", record }]).match(/<svg class="heatmap"[\s\S]*?<\/svg>/)![0];
  const num = (s: string, attr: string): number => Number(s.match(new RegExp(`${attr}="([^"]+)"`))![1]);
  // Row labels sit left of the cells (text-anchor end), column labels above them (text-anchor middle).
  const ticks = [...svg.matchAll(/<text class="tick" ([^>]*)>([^<]*)<\/text>/g)];
  const rows = ticks
    .filter(([, a]) => a.includes('text-anchor="end"'))
    .map(([, a, label]) => ({ at: num(a, "y"), label }));
  const cols = ticks
    .filter(([, a]) => a.includes('text-anchor="middle"'))
    .map(([, a, label]) => ({ at: num(a, "x"), label }));
  assert.deepEqual(
    rows.map((r) => r.label),
    ["after 1", "after 2", "after 3"],
  );
  assert.deepEqual(
    cols.map((c) => c.label),
    ["task 1", "task 2", "task 3"],
  );
  const cells = [
    ...svg.matchAll(/<g><title>([^<]*)<\/title><rect ([^>]*)\/><text [^>]*>([^<]*)<\/text><\/g>/g),
  ];
  assert.equal(cells.length, 9);
  for (const [, title, rect, text] of cells) {
    const [x, y, w, h] = ["x", "y", "width", "height"].map((a) => num(rect, a));
    const i = rows.findIndex((r) => r.at >= y && r.at <= y + h);
    const j = cols.findIndex((c) => c.at >= x && c.at <= x + w);
    assert.ok(i >= 0 && j >= 0, `cell at (${x}, ${y}) lines up with a row and a column label`);
    assert.equal(text, (100 * R[i][j]).toFixed(1), `row "${rows[i].label}", column "${cols[j].label}"`);
    assert.ok(title.startsWith(`after ${i + 1}, task ${j + 1}: ${(100 * R[i][j]).toFixed(2)}%`), title);
  }
});
