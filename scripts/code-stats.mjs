// The largest files and the longest functions in src/ (formatted lines), for the house rule "files stay
// small" (STYLE.md: about 400 lines at most) and issue 16's before/after.
//
//   node scripts/code-stats.mjs [--top N] [DIR]     # default DIR src, N 5
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 5;
const root = args[0] ?? "src";

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "kernels") yield* files(p);
    } else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) yield p;
  }
}

const fileRows = [];
const fnRows = [];
for (const path of files(root)) {
  const text = readFileSync(path, "utf8");
  fileRows.push({
    path: relative(".", path),
    lines: text.split("\n").length - (text.endsWith("\n") ? 1 : 0),
  });
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
  const line = (pos) => sf.getLineAndCharacterOfPosition(pos).line;
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const lines = line(node.getEnd()) - line(node.getStart(sf)) + 1;
      const name =
        node.name?.getText(sf) ??
        (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : "(anonymous)");
      fnRows.push({ where: `${relative(".", path)}:${line(node.getStart(sf)) + 1}`, name, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
fileRows.sort((a, b) => b.lines - a.lines);
fnRows.sort((a, b) => b.lines - a.lines);
console.log(`largest files in ${root}/ (lines):`);
for (const r of fileRows.slice(0, top)) console.log(`  ${String(r.lines).padStart(5)}  ${r.path}`);
console.log(`longest functions in ${root}/ (lines):`);
for (const r of fnRows.slice(0, top)) console.log(`  ${String(r.lines).padStart(5)}  ${r.name}  ${r.where}`);
const over = fileRows.filter((r) => r.lines > 400).length;
console.log(`${fileRows.length} files, ${over} over 400 lines`);
