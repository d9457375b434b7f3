// Reruns of part of a folder (scripts/mutate.mjs --rerun-listed): the lines of docs/mutation.md's listed
// undetected mutants, to see which of them new unit tests now kill without rerunning the whole folder.
//
// The record keeps each folder's counts and its undetected mutants, not every mutant's result, so a
// rerun is merged into the row this way: each listed mutant takes its status from the rerun (matched by
// file, mutator, code and replacement: line numbers move as the source is edited); another mutant on
// those lines that now escapes was not reached before (a listed one would have been listed), so it
// moves from "not run" to undetected; another that is now detected may already have been counted, so
// it is reported beside the row but not added to it.
import { readFileSync } from "node:fs";
import ts from "typescript";

/** One listed mutant from its Markdown line: `- S \`src/health/checks.ts:142\` Mutator: \`a\` → \`b\``. */
const LINE = /^- ([SN]) `([^`]+):(\d+)` (\w+): `(.*)` → `(.*?)`(?: — .*)?$/;

/** The undetected mutants docs/mutation.md lists for a folder, from its section's body. */
export function parseListed(body) {
  return body
    .split("\n")
    .map((line) => LINE.exec(line))
    .filter(Boolean)
    .map(([text, flag, place, line, mutator, original, replacement]) => ({
      text,
      status: flag === "S" ? "Survived" : "NoCoverage",
      js: place.startsWith("dist/") ? place : `dist/${place.replace(/\.ts$/, ".js")}`,
      line: Number(line),
      fromDist: place.startsWith("dist/"),
      key: matchKey(place, mutator, original, replacement),
    }));
}

/** What identifies a mutant across edits: its file (without extension), mutator, code and replacement. */
export function matchKey(place, mutator, original, replacement) {
  const file = place.replace(/^dist\//, "").replace(/\.(ts|js)$/, "");
  return `${file}|${mutator}|${original}|${replacement}`;
}

/**
 * Stryker --mutate patterns for the compiled lines of the listed mutants: each line that holds one's
 * code, up to the end of the mutated node (Stryker mutates only nodes that lie wholly inside a range).
 */
export function listedRanges(listed) {
  const byFile = new Map();
  for (const m of listed) byFile.set(m.js, [...(byFile.get(m.js) ?? []), m]);
  const patterns = [];
  for (const [js, mutants] of byFile) {
    const text = readFileSync(js, "utf8");
    const lines = text.split("\n");
    const nodes = nodesByLine(js, text);
    const ranges = new Map(); // start line → end line
    for (const m of mutants) {
      const needle = codeOf(m);
      for (const line of compiledLines(m, needle, lines, nodes)) {
        const ends = (nodes.get(line) ?? []).filter((n) => n.text.startsWith(needle)).map((n) => n.end);
        ranges.set(line, Math.max(ranges.get(line) ?? line, ...ends));
      }
    }
    for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0]))
      patterns.push(`${js}:${start}-${end}`);
  }
  return patterns;
}

const flat = (s) => s.replace(/\s+/g, " ").replaceAll("`", "'").trim();

/** The start of a listed mutant's code as the doc shows it (one line, cut before an ellipsis). */
const codeOf = (m) =>
  m.text
    .match(/: `(.*)` → `/)[1]
    .split("…")[0]
    .slice(0, 40);

/**
 * The 1-based compiled lines where a syntax node starts with a listed mutant's code (the lines move as
 * the source is edited; none where the code was removed). A short code ("false", "0") is looked for only on the compiled lines that
 * repeat the line the doc names, where there are any.
 */
function compiledLines(m, needle, lines, nodes) {
  const holding = (text) =>
    [...nodes].flatMap(([line, ns]) => (ns.some((n) => n.text.startsWith(text)) ? [line] : []));
  const found = holding(needle);
  if (found.length === 0) {
    // Its code was removed since: nothing to rerun (the row's merge keeps it listed as not made again).
    console.log(`mutation-rerun: ${m.js} no longer holds the code of ${m.text}`);
    return [];
  }
  if (needle.length >= 8 || found.length === 1) return found;
  const file = m.fromDist ? m.js : m.js.replace(/^dist\//, "").replace(/\.js$/, ".ts");
  const source = flat(readFileSync(file, "utf8").split("\n")[m.line - 1] ?? "");
  const exact = source.includes(needle) ? found.filter((line) => flat(lines[line - 1]).includes(source)) : [];
  return exact.length > 0 ? exact : found;
}

/** Syntax nodes by 1-based start line: each one's last line and its text, flattened. */
function nodesByLine(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const nodes = new Map();
  const visit = (node) => {
    const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    const end = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
    nodes.set(start, [...(nodes.get(start) ?? []), { end, text: flat(node.getText(source)) }]);
    node.forEachChild(visit);
  };
  source.forEachChild(visit);
  return nodes;
}

/**
 * The folder's row and list after a rerun of its listed mutants' lines. `describe(m)` gives a rerun
 * result's Markdown line and match key (as mutation-report.mjs words them).
 */
export function mergeRerun(previous, listed, results, describe) {
  const row = { ...previous };
  const pending = new Map(); // match key → listed mutants not yet matched
  for (const m of listed) pending.set(m.key, [...(pending.get(m.key) ?? []), m]);
  const escaped = [];
  const rerun = {
    mutants: results.length,
    listed: listed.length,
    matched: 0,
    listedNow: {},
    othersDetected: 0,
  };
  const bump = (status, by) => {
    if (status in row) row[status] += by;
  };
  for (const r of results) {
    const { line, key } = describe(r);
    const was = pending.get(key)?.shift();
    const undetected = r.status === "Survived" || r.status === "NoCoverage";
    if (was) {
      rerun.matched++;
      rerun.listedNow[r.status] = (rerun.listedNow[r.status] ?? 0) + 1;
      bump(was.status, -1);
      bump(r.status, +1);
    } else if (undetected) {
      // Not listed before: it was not run, or (once every mutant has run) it was counted detected.
      if (row.notRun > 0) row.notRun--;
      else {
        row.Killed--;
        rerun.newlyUndetected = (rerun.newlyUndetected ?? 0) + 1;
      }
      bump(r.status, +1);
    } else if (r.status === "Killed" || r.status === "Timeout") rerun.othersDetected++;
    if (undetected) escaped.push(line);
  }
  // Listed mutants the rerun did not make (their code changed) stay as they were.
  const unmatched = [...pending.values()].flat();
  escaped.push(...unmatched.map((m) => m.text));
  rerun.unmatched = unmatched.length;
  const detected = row.Killed + row.Timeout;
  const undetected = row.Survived + row.NoCoverage;
  row.score = detected + undetected > 0 ? (100 * detected) / (detected + undetected) : null;
  return { row, escaped, rerun };
}
