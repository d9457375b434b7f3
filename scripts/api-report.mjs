// The public surface as a checked-in report: every export of "homeostat" and "homeostat/node" with its
// kind and signature, and the public members of its classes and interfaces, read with the TypeScript
// compiler API from the built declarations (dist/src/index.d.ts, dist/src/node.d.ts). A test
// (test/api-report.test.ts) regenerates it in memory and fails with a diff when the surface changed
// without the report; `npm run api` (after a build) writes it.
//
//   node scripts/api-report.mjs [--check]   # writes docs/api-report.md; --check only compares
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const REPORT = `${ROOT}docs/api-report.md`;
const FORMAT =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope |
  ts.TypeFormatFlags.WriteArrowStyleSignature;

/** The exports of one entry's declaration file: [name, kind, signature] rows, members after their owner. */
function entryRows(dts) {
  // One program per entry: a module augmentation (learner.save in homeostat/node) shows only where it applies.
  const program = ts.createProgram([dts], {
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(dts);
  if (!source) throw new Error(`${dts}: not found; run npm run build first`);
  const module = checker.getSymbolAtLocation(source);
  const rows = [];
  const key = (name) => `${name.toLowerCase()}\u0000${name}`; // the same order on every machine and locale
  const byName = (a, b) => (key(a.name) < key(b.name) ? -1 : key(a.name) > key(b.name) ? 1 : 0);
  const exports = checker.getExportsOfModule(module).sort(byName);
  for (const exported of exports) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    // Where it is declared: a node export that replaces the root's under the same name differs here.
    const origin = symbol.declarations?.[0]?.getSourceFile().fileName.replace(/^.*\/dist\/src\//, "") ?? "";
    rows.push(...symbolRows(checker, exported.name, symbol).map((row) => [...row, origin]));
  }
  return rows;
}

function symbolRows(checker, name, symbol) {
  const f = symbol.flags;
  const decl = symbol.declarations?.[0];
  if (f & ts.SymbolFlags.Class) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const base = type.getBaseTypes?.()?.map((t) => checker.typeToString(t, undefined, FORMAT)) ?? [];
    const statics = checker.getTypeOfSymbolAtLocation(symbol, decl);
    const ctors = statics.getConstructSignatures().map((s) => `new ${signature(checker, s)}`);
    const head = `class${typeParams(checker, type)}${base.length ? ` extends ${base.join(", ")}` : ""}`;
    return [
      [name, "class", [head, ...ctors].join("; ")],
      ...members(checker, name, statics, decl, true).filter(([n]) => !n.endsWith(".prototype")),
      ...members(checker, name, type, decl, false),
    ];
  }
  if (f & ts.SymbolFlags.Interface) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    return [
      [name, "interface", `interface${typeParams(checker, type)}`],
      ...members(checker, name, type, decl, false),
    ];
  }
  if (f & ts.SymbolFlags.TypeAlias) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const text =
      decl && ts.isTypeAliasDeclaration(decl)
        ? PRINTER.printNode(ts.EmitHint.Unspecified, decl.type, decl.getSourceFile())
        : checker.typeToString(type, undefined, FORMAT);
    return [[name, "type", oneLine(text)]];
  }
  const type = checker.getTypeOfSymbolAtLocation(symbol, decl);
  if (f & ts.SymbolFlags.Function) return [[name, "function", signatures(checker, type)]];
  if (f & ts.SymbolFlags.Variable) {
    const isConst = decl && ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const;
    return [[name, isConst ? "const" : "let", oneLine(checker.typeToString(type, decl, FORMAT))]];
  }
  if (f & ts.SymbolFlags.Enum) return [[name, "enum", oneLine(checker.typeToString(type, decl, FORMAT))]];
  return [[name, "other", ts.SymbolFlags[f] ?? String(f)]];
}

/** The public members of a class's instances or statics, or an interface's: one row each. */
function members(checker, owner, type, at, isStatic) {
  const rows = [];
  for (const member of checker.getPropertiesOfType(type)) {
    const d = member.declarations?.[0];
    if (!d || member.name.startsWith("#")) continue;
    const mods = ts.getCombinedModifierFlags(d);
    if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
    const memberType = checker.getTypeOfSymbolAtLocation(member, at ?? d);
    const isMethod = member.flags & ts.SymbolFlags.Method;
    const readonly =
      mods & ts.ModifierFlags.Readonly ||
      (member.flags & ts.SymbolFlags.GetAccessor && !(member.flags & ts.SymbolFlags.SetAccessor));
    const optional = member.flags & ts.SymbolFlags.Optional ? "?" : "";
    const kind = `${isStatic ? "static " : ""}${isMethod ? "method" : readonly ? "readonly property" : "property"}`;
    const sig = isMethod
      ? signatures(checker, memberType)
      : oneLine(checker.typeToString(memberType, d, FORMAT));
    rows.push([`${owner}.${memberName(member.name)}${optional}`, kind, sig]);
  }
  return rows;
}

const signatures = (checker, type) =>
  type
    .getCallSignatures()
    .map((s) => signature(checker, s))
    .join(" · ");
const signature = (checker, s) => oneLine(checker.signatureToString(s, undefined, FORMAT));
const typeParams = (checker, type) => {
  const params = type.typeParameters ?? type.target?.typeParameters;
  return params?.length ? `<${params.map((p) => checker.typeToString(p)).join(", ")}>` : "";
};
const PRINTER = ts.createPrinter({ removeComments: true });
/** A member's name; a well-known symbol's (`__@iterator@26`, numbered per program) as `[Symbol.iterator]`. */
const memberName = (name) => name.replace(/^__@(\w+)@\d+$/, "[Symbol.$1]");
const oneLine = (text) => text.replace(/\s+/g, " ").trim();
const cell = (text) => text.replace(/\|/g, "\\|");

/** The report's Markdown, built from the declarations under `root` (the package folder). */
export function apiReport(root = ROOT) {
  const rootRows = entryRows(`${root}dist/src/index.d.ts`);
  const nodeRows = entryRows(`${root}dist/src/node.d.ts`);
  const inRoot = new Set(rootRows.map((r) => r.join("\u0000"))); // name, kind, signature, origin
  const nodeOnly = nodeRows.filter((r) => !inRoot.has(r.join("\u0000")));
  const nodeNames = new Set(nodeRows.map(([name]) => name));
  const missing = rootRows.filter(([name]) => !nodeNames.has(name));
  const table = (rows) => [
    "| name | kind | signature |",
    "| --- | --- | --- |",
    ...rows.map(([n, k, s]) => `| \`${n}\` | ${k} | ${cell(`\`${s}\``)} |`),
  ];
  const count = (rows) => rows.filter(([n]) => !n.includes(".")).length;
  return [
    "# API report",
    "",
    "The public surface of the package, generated by `npm run api` (scripts/api-report.mjs, the TypeScript",
    "compiler API over the built declarations). `test/api-report.test.ts` regenerates it and fails when the",
    "surface changed without this file: rerun `npm run api` and review the diff. A member row is `Owner.name`.",
    "",
    `## \`homeostat\` (${count(rootRows)} exports; loads in a browser)`,
    "",
    ...table(rootRows),
    "",
    `## \`homeostat/node\` (everything of \`homeostat\`, plus or replacing these ${count(nodeOnly)})`,
    "",
    ...table(nodeOnly),
    ...(missing.length
      ? [
          "",
          "Exports of `homeostat` that `homeostat/node` lacks (it should re-export them all):",
          "",
          ...table(missing),
        ]
      : []),
    "",
  ].join("\n");
}

/** Lines of `before` and `after` that differ, `-` and `+` marked, in report order (for a test's message). */
export function reportDiff(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  const inA = new Set(a);
  const inB = new Set(b);
  return [
    ...a.filter((l) => !inB.has(l)).map((l) => `- ${l}`),
    ...b.filter((l) => !inA.has(l)).map((l) => `+ ${l}`),
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = apiReport();
  if (process.argv.includes("--check")) {
    const diff = reportDiff(readFileSync(REPORT, "utf8"), report);
    if (diff) {
      console.error(`docs/api-report.md is out of date (npm run api):\n${diff}`);
      process.exit(1);
    }
  } else {
    writeFileSync(REPORT, report);
    console.log(`docs/api-report.md: ${report.split("\n").length} lines`);
  }
}
