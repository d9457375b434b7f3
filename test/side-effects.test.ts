/**
 * package.json's `sideEffects` list is what lets a bundler drop the modules an app does not use; it is
 * true only if it names every module that does something when imported (a statement at its top level
 * that is not a declaration: a prototype installed, a worker's listener) and every module that reaches
 * one of those only by a bare import or a re-export (a bundler skips a side-effect-free module whose
 * names go unused, and what it re-exports). This walks src/ with the TypeScript parser and compares.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SRC = join(ROOT, "src");

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === "kernels"
        ? []
        : sources(join(dir, e.name))
      : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")
        ? [join(dir, e.name)]
        : [],
  );

/** A statement that runs code at import: anything but imports, exports and declarations (initialisers are module-local). */
function acts(s: ts.Statement): boolean {
  if (ts.isImportDeclaration(s)) return s.importClause === undefined;
  return !(
    ts.isExportDeclaration(s) ||
    ts.isFunctionDeclaration(s) ||
    ts.isInterfaceDeclaration(s) ||
    ts.isTypeAliasDeclaration(s) ||
    ts.isClassDeclaration(s) ||
    ts.isModuleDeclaration(s) ||
    ts.isEnumDeclaration(s) ||
    ts.isVariableStatement(s) ||
    ts.isExportAssignment(s)
  );
}

/** The package-relative path of the compiled module for a source file. */
const compiled = (file: string): string => `./dist/src/${relative(SRC, file).replace(/\.ts$/, ".js")}`;

test("sideEffects names every module that acts when imported, and every module that re-exports one", () => {
  const imports = new Map<string, string[]>();
  const acting = new Set<string>();
  for (const file of sources(SRC)) {
    const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const deps: string[] = [];
    for (const s of sf.statements) {
      if (s.getText(sf).startsWith("import type") || s.getText(sf).startsWith("export type")) continue;
      if (acts(s) && !ts.isImportDeclaration(s)) acting.add(file);
      // A bare import or a re-export keeps nothing alive by itself; an import whose names the module
      // uses does (the bundler keeps the module those names come from, and its side effects with it).
      const fragile = ts.isExportDeclaration(s) || (ts.isImportDeclaration(s) && !s.importClause);
      const spec = fragile && s.moduleSpecifier;
      if (spec && ts.isStringLiteral(spec) && spec.text.startsWith("."))
        deps.push(resolve(dirname(file), spec.text.replace(/\.js$/, ".ts")));
    }
    imports.set(file, deps);
  }
  // A module that re-exports one that acts must be kept whole: it is listed too.
  const needed = new Set(acting);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [file, deps] of imports)
      if (!needed.has(file) && deps.some((d) => needed.has(d))) {
        needed.add(file);
        grew = true;
      }
  }
  const listed = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { sideEffects: string[] })
    .sideEffects;
  assert.ok(
    acting.has(join(SRC, "io/learner-bytes.ts")),
    "the scan sees learner.toBytes installed at import",
  );
  assert.deepEqual([...listed].sort(), [...needed].map(compiled).sort());
});
