#!/usr/bin/env node
/**
 * Join two tables of scripts/cli-cases.mjs (the code before and after a change) by case into one
 * before/after table: input, then exit code, message and files written on each side.
 *
 *   node scripts/cli-cases-compare.mjs BEFORE.md AFTER.md [--title TEXT] > docs/cli-cases.md
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ options: { title: { type: "string" } }, allowPositionals: true });
if (positionals.length !== 2) {
  process.stderr.write("usage: node scripts/cli-cases-compare.mjs BEFORE.md AFTER.md [--title TEXT]\n");
  process.exit(2);
}

/** The rows of a cases table by case id: its cells, split on unescaped pipes. */
function rows(path) {
  const text = readFileSync(path, "utf8");
  const out = new Map();
  const summary = text.split("\n").find((l) => / cases · exit codes/.test(l)) ?? "";
  for (const line of text.split("\n")) {
    if (!line.startsWith("| ") || line.startsWith("| case ") || line.startsWith("| ---")) continue;
    const cells = line.slice(2, -2).split(/(?<!\\) \| /);
    const [id, input, , code, message, crash, wrote] = cells;
    out.set(id, { input, code, message, crash, wrote });
  }
  return { out, summary };
}

const before = rows(positionals[0]);
const after = rows(positionals[1]);
const side = (r) =>
  r
    ? `${r.code} · ${r.message}${r.crash !== "no" && r.crash !== "—" ? ` · **${r.crash}**` : ""}${r.wrote !== "nothing" && r.wrote !== "—" ? ` · wrote ${r.wrote}` : ""}`
    : "(not run)";
const ids = [...new Set([...before.out.keys(), ...after.out.keys()])];
const lines = [
  `# ${values.title ?? "homeostat CLI cases, before and after"}`,
  "",
  `Before: ${before.summary}`,
  `After: ${after.summary}`,
  "",
  "Each cell: exit code · first line of the message (· crash signs · files written).",
  "",
  "| case | input | before | after |",
  "| --- | --- | --- | --- |",
  ...ids.map(
    (id) =>
      `| ${id} | ${(after.out.get(id) ?? before.out.get(id)).input} | ${side(before.out.get(id))} | ${side(after.out.get(id))} |`,
  ),
  "",
];
process.stdout.write(lines.join("\n"));
