// Writes one folder's mutation score into docs/mutation.md: a row of the summary table and a section
// listing every mutant the unit tier let through. Each folder's section is replaced on its own run;
// the table is rebuilt from the numbers kept in every section's opening marker.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EQUIVALENT } from "./mutation-equivalent.mjs";
import { matchKey, mergeRerun, parseListed } from "./mutation-rerun.mjs";

const DOC = "docs/mutation.md";
const INTRO = `# Mutation testing

How many small, deliberate bugs ("mutants": \`<\` for \`<=\`, a deleted statement, \`-\` for \`+\`, …)
the unit tier (\`npm run test:unit\`) notices in each folder. Written by \`npm run mutate -- <folder>\`
(scripts/mutate.mjs, StrykerJS on the compiled JavaScript in dist/); everything below is regenerated,
one folder at a time — edit scripts/mutation-report.mjs, not this page.

**Score** = detected / (detected + undetected), where detected = killed + timed out and undetected =
survived + no coverage (Stryker's mutation score). Runtime errors and mutants disabled by a
\`// Stryker disable\` comment (ignored) are not counted; *not run* are mutants the time budget did not
reach (a stopped run's results are kept, so the next run of the folder starts with them and tests the
rest: scripts/mutation-salvage.mjs). *Minutes* is the wall time of the run on the CPU named, with that many mutants tested at once.
Each mutant names its line in src/ where its code is found there verbatim, else its line in dist/.
src/io, the largest folder, is run whole across sessions (each run goes on where the last stopped);
its per-file record, with each run's command, is kept in docs/mutation-io.md.
`;

const COUNTED = ["Killed", "Timeout", "Survived", "NoCoverage", "RuntimeError", "Ignored"];

/**
 * Update docs/mutation.md for one folder; returns a one-line summary. `files`, when given, names the
 * only files of the folder that were mutated: the row then counts those files' mutants alone.
 */
export function writeFolderScore({ folder, plan: planned, results: all, minutes, concurrency, cpu, files }) {
  // Stryker's incremental record also reports the folder's other files that an earlier run mutated.
  const named = (m) => !files || files.some((f) => m.fileName.endsWith(`/src/${folder}/${f}.js`));
  const [plan, results] = [planned.filter(named), all.filter(named)];
  const latest = new Map(results.map((r) => [r.id, r])); // a reused result may be reported twice
  const counts = Object.fromEntries(COUNTED.map((s) => [s, 0]));
  for (const r of latest.values()) if (r.status in counts) counts[r.status]++;
  const detected = counts.Killed + counts.Timeout;
  const undetected = counts.Survived + counts.NoCoverage;
  const row = {
    folder,
    mutants: plan.length,
    ...counts,
    notRun: plan.length - latest.size,
    reused: plan.filter((m) => m.status !== undefined).length, // settled before the run: incremental
    score: detected + undetected > 0 ? (100 * detected) / (detected + undetected) : null,
    date: new Date().toISOString().slice(0, 10),
    minutes: Math.round(minutes),
    concurrency,
    cpu,
    ...(files ? { files } : {}),
  };
  const escaped = [...latest.values()].filter((r) => r.status === "Survived" || r.status === "NoCoverage");
  const sections = readSections();
  const read = sourceReader();
  const lines = escaped.sort(byPlace).map((m) => describeMutant(m, read).line);
  sections.set(folder, { row, body: survivorsSection(folder, row, lines) });
  mkdirSync("docs", { recursive: true });
  writeFileSync(DOC, render(sections));
  return summarise(row);
}

/**
 * Merge a rerun of the lines of a folder's listed mutants (scripts/mutate.mjs --rerun-listed) into its
 * row and list (see scripts/mutation-rerun.mjs for how); returns a one-line summary.
 */
export function writeRerunScore({ folder, results, minutes, ranges }) {
  const sections = readSections();
  const previous = sections.get(folder);
  if (!previous) throw new Error(`docs/mutation.md has no src/${folder} section to rerun`);
  const read = sourceReader();
  const latest = [...new Map(results.map((r) => [r.id, r])).values()].sort(byPlace);
  const listed = parseListed(previous.body);
  const { row, escaped, rerun } = mergeRerun(previous.row, listed, latest, (m) => describeMutant(m, read));
  row.date = new Date().toISOString().slice(0, 10);
  row.minutes = previous.row.minutes + Math.round(minutes);
  row.rerun = { ...rerun, lines: ranges.length, date: row.date, minutes: Math.round(minutes) };
  sections.set(folder, { row, body: survivorsSection(folder, row, escaped) });
  writeFileSync(DOC, render(sections));
  return summarise(row);
}

/** Rewrite docs/mutation.md as it is, so that reasons added to scripts/mutation-equivalent.mjs show. */
export function rewriteReasons() {
  writeFileSync(DOC, render(readSections()));
}

const summarise = (r) =>
  `${formatScore(r.score)} (${r.Killed + r.Timeout} detected, ${r.Survived} survived, ${r.NoCoverage} no coverage, ${r.notRun} not run)`;

const formatScore = (score) => (score === null ? "–" : `${score.toFixed(1)}%`);

/** The sections already in the document, by folder, each with the row kept in its marker. */
export function readSections() {
  const sections = new Map();
  if (!existsSync(DOC)) return sections;
  const text = readFileSync(DOC, "utf8");
  const pattern = /<!-- folder:(\w+) (\{.*?\}) -->\n([\s\S]*?)<!-- \/folder:\1 -->/g;
  for (const [, folder, row, body] of text.matchAll(pattern))
    sections.set(folder, { row: JSON.parse(row), body });
  return sections;
}

function render(sections) {
  const folders = [...sections.keys()].sort();
  const table = [
    "| folder | mutants | killed | timeout | survived | no coverage | runtime error | ignored | not run | score | date | minutes | CPU |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ...folders.map((f) => {
      const r = sections.get(f).row;
      const cells = [
        r.files ? `src/${f} (files run: ${r.files.length})` : `src/${f}`,
        r.mutants,
        r.Killed,
        r.Timeout,
        r.Survived,
        r.NoCoverage,
        r.RuntimeError,
        r.Ignored,
        r.notRun,
        `**${formatScore(r.score)}**`,
        r.date,
        r.minutes,
        `${r.cpu}, concurrency ${r.concurrency}`,
      ];
      return `| ${cells.join(" | ")} |`;
    }),
  ];
  const bodies = folders.map(
    (f) =>
      `<!-- folder:${f} ${JSON.stringify(sections.get(f).row)} -->\n${withReasons(sections.get(f).body)}<!-- /folder:${f} -->\n`,
  );
  return [INTRO, table.join("\n"), "", ...bodies].join("\n");
}

function survivorsSection(folder, row, escaped) {
  const lines = [`## src/${folder}`, ""];
  if (row.files)
    lines.push(`Files run (the folder's other files were not mutated): ${row.files.join(", ")}.`, "");
  if (row.rerun) lines.push(rerunNote(row.rerun), "");
  if (row.reused > 0)
    lines.push(
      `${row.reused} of ${row.mutants} results were reused from the previous run (incremental: their code and tests had not changed).`,
      "",
    );
  if (row.notRun > 0)
    lines.push(
      `Partial: the time budget stopped the run with ${row.notRun} of ${row.mutants} mutants not run; run it again to continue (results are incremental).`,
      "",
    );
  if (escaped.length === 0) {
    lines.push("No mutant survived.", "");
    return `${lines.join("\n")}\n`;
  }
  lines.push(`${escaped.length} mutants not detected (S = survived, N = no unit test runs the code):`, "");
  lines.push(...escaped);
  return `${lines.join("\n")}\n\n`;
}

/** Each listed mutant's line with its reason from scripts/mutation-equivalent.mjs, where it has one. */
function withReasons(body) {
  return body
    .split("\n")
    .map((line) => {
      const [listed] = parseListed(line);
      if (!listed) return line;
      const bare = line.replace(/` — .*$/, "`");
      return EQUIVALENT.has(listed.key) ? `${bare} — ${EQUIVALENT.get(listed.key)}` : bare;
    })
    .join("\n");
}

function rerunNote(r) {
  const now = Object.entries(r.listedNow)
    .map(([status, n]) => `${n} ${status}`)
    .join(", ");
  return (
    `Rerun ${r.date} (${r.minutes} minutes, \`npm run mutate -- <folder> --rerun-listed\`): the ${r.lines} compiled ` +
    `line ranges that hold the ${r.listed} mutants listed before, ${r.mutants} mutants in all. Of the listed, ` +
    `${r.matched} were made again: ${now || "none"}; ${r.unmatched} were not (their code changed) and stay listed. ` +
    `The row takes each listed mutant's new status. Of the other mutants on those lines, those now undetected ` +
    `moved from "not run" to the count${r.newlyUndetected ? ` (${r.newlyUndetected} of them, with every mutant run before, from "killed")` : ""}; ` +
    `the ${r.othersDetected} now detected are not added, as the previous run ` +
    `may already have counted them (the record keeps no per-mutant results).`
  );
}

const byPlace = (a, b) =>
  a.fileName.localeCompare(b.fileName) ||
  a.location.start.line - b.location.start.line ||
  a.location.start.column - b.location.start.column ||
  a.mutatorName.localeCompare(b.mutatorName) ||
  (a.replacement ?? "").localeCompare(b.replacement ?? "");

/** Reads source files as lines, each once. */
function sourceReader() {
  const sources = new Map();
  return (file) => {
    if (!sources.has(file)) sources.set(file, existsSync(file) ? readFileSync(file, "utf8").split("\n") : []);
    return sources.get(file);
  };
}

/** A mutant's Markdown line in the list, and the key that matches it across edits of the source. */
function describeMutant(m, read) {
  const js = relativeDist(m.fileName);
  const original = snippet(read(js), m.location);
  const ts = js.replace(/^dist\//, "").replace(/\.js$/, ".ts");
  const tsLine = sourceLine(read(ts), read(js), original, m.location.start.line);
  const place = tsLine === undefined ? `${js}:${m.location.start.line}` : `${ts}:${tsLine}`;
  const [code, replacement] = [oneLine(original), oneLine(m.replacement ?? "")];
  return {
    line: `- ${m.status === "Survived" ? "S" : "N"} \`${place}\` ${m.mutatorName}: \`${code}\` → \`${replacement}\``,
    key: matchKey(place.replace(/:\d+$/, ""), m.mutatorName, code, replacement),
  };
}

/** Stryker reports absolute paths (of the project, not its sandbox); the doc wants dist/src/… */
function relativeDist(fileName) {
  const at = fileName.lastIndexOf("dist/src/");
  return at >= 0 ? fileName.slice(at) : fileName;
}

/** The mutated source text; locations are 1-based lines and columns, the end exclusive. */
function snippet(lines, { start, end }) {
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  const first = lines[start.line - 1].slice(start.column - 1);
  const last = lines[end.line - 1].slice(0, end.column - 1);
  return [first, ...lines.slice(start.line, end.line - 1), last].join("\n");
}

/**
 * The line of the TypeScript source that holds a mutant's code. The compiler drops types, so the two
 * files drift apart; lines that occur once in each, identical, anchor them. Of the source lines that
 * contain the mutated code's first line verbatim, the one nearest where the last anchor above
 * predicts; undefined where the code is not found verbatim (an annotated parameter, say).
 */
function sourceLine(tsLines, jsLines, original, jsLine) {
  const needle = original.split("\n")[0].trim();
  if (needle.length < 3) return undefined; // "0" or "+" is everywhere
  let predicted = jsLine;
  const tsOnce = linesSeenOnce(tsLines);
  const jsOnce = linesSeenOnce(jsLines);
  for (let j = jsLine; j >= 1; j--) {
    const text = jsLines[j - 1].trim();
    if (text.length > 8 && jsOnce.has(text) && tsOnce.has(text)) {
      predicted = tsOnce.get(text) + (jsLine - j);
      break;
    }
  }
  let best;
  tsLines.forEach((text, i) => {
    if (
      text.includes(needle) &&
      (best === undefined || Math.abs(i + 1 - predicted) < Math.abs(best - predicted))
    )
      best = i + 1;
  });
  return best;
}

/** Trimmed line text → its 1-based line number, for the texts that occur exactly once. */
function linesSeenOnce(lines) {
  const seen = new Map();
  lines.forEach((line, i) => {
    const text = line.trim();
    seen.set(text, seen.has(text) ? -1 : i + 1);
  });
  for (const [text, line] of seen) if (line < 0) seen.delete(text);
  return seen;
}

/** One line of at most 80 characters, backticks kept out of the Markdown code span. */
function oneLine(text) {
  const flat = text.replace(/\s+/g, " ").replaceAll("`", "'").trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}…` : flat;
}

// `node scripts/mutation-report.mjs` rewrites docs/mutation.md from its own record, to refresh the
// reasons after editing scripts/mutation-equivalent.mjs.
if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(DOC, render(readSections()));
