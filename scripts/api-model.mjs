// The public API as the TypeScript compiler sees it: every symbol exported from the package's entries
// (package.json "exports", read back to their sources), followed through re-exports (`export *`,
// `export { x } from`), with its doc comment, @example blocks, signature and area. Used by
// scripts/api-docs.mjs (the reference in docs/api/) and by test/api-examples.test.ts (the examples).
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import ts from "typescript";

/** Areas in page order; a symbol belongs to the first whose folder holds its declaration. */
export const AREAS = [
  {
    slug: "tensor",
    title: "Tensors, autograd, backends and registries",
    dirs: ["tensor", "autograd", "backend", "config", "units"],
  },
  { slug: "layers", title: "Layers", dirs: ["nn"] },
  { slug: "losses", title: "Losses", dirs: ["losses"] },
  { slug: "optim", title: "Optimisers and schedules", dirs: ["optim"] },
  { slug: "training", title: "Training", dirs: ["train"] },
  { slug: "health", title: "Health", dirs: ["health"] },
  { slug: "homeostasis", title: "Homeostasis", dirs: ["homeostasis"] },
  { slug: "continual", title: "Continual learning", dirs: ["continual"] },
  { slug: "learner", title: "The lifelong learner", dirs: ["learner"] },
  { slug: "io", title: "Data, files and export", dirs: ["io", "data"] },
  { slug: "report", title: "Reports", dirs: ["report"] },
  { slug: "browser", title: "Browser runtime: training in a worker, browser storage", dirs: ["web"] },
  { slug: "node", title: "Node only (homeostat/node)", dirs: ["serve"] },
  { slug: "other", title: "Other", dirs: [] },
];

/** The package's entries: `{ spec: "homeostat/node", file: "src/node.ts" }`, from package.json's exports. */
export function packageEntries(root) {
  const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8"));
  return Object.entries(pkg.exports).map(([sub, target]) => ({
    spec: sub === "." ? pkg.name : `${pkg.name}/${sub.slice(2)}`,
    file: (typeof target === "string" ? target : target.types)
      .replace(/^\.\/dist\//, "")
      .replace(/\.d\.ts$/, ".ts"),
  }));
}

const KIND_FLAGS = [
  [ts.SymbolFlags.Class, "class"],
  [ts.SymbolFlags.Function, "function"],
  [ts.SymbolFlags.Interface, "interface"],
  [ts.SymbolFlags.TypeAlias, "type"],
  [ts.SymbolFlags.Enum, "enum"],
  [ts.SymbolFlags.Variable, "const"],
];
const kindOf = (sym) => KIND_FLAGS.find(([flag]) => sym.flags & flag)?.[1] ?? "other";
const LONGEST = 240;
const FORMAT = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;

/** Doc text and @example blocks of a symbol (or of a member of one). */
function docsOf(sym, checker) {
  const doc = ts.displayPartsToString(sym.getDocumentationComment(checker)).trim();
  const examples = sym
    .getJsDocTags(checker)
    .filter((t) => t.name === "example")
    .map((t) => ts.displayPartsToString(t.text ?? []).trim())
    .filter(Boolean);
  return { doc, examples };
}

/** A one-line signature (functions, constants) or the declaration's text (types, interfaces). */
function signatureOf(sym, decl, kind, checker) {
  if (kind === "function") {
    const sigs = checker.getTypeOfSymbolAtLocation(sym, decl).getCallSignatures();
    return sigs.map((s) => `function ${sym.name}${checker.signatureToString(s, decl, FORMAT)}`).join("\n");
  }
  if (kind === "const") {
    const type = checker.getTypeOfSymbolAtLocation(sym, decl);
    const text = checker.typeToString(type, decl, FORMAT);
    if (text.length <= LONGEST) return `const ${sym.name}: ${text}`;
    // A long object type (a registry, an option table): its keys say enough; the source says the rest.
    const keys = type.getProperties().map((p) => p.name);
    return `const ${sym.name}: ${keys.length ? `{ ${keys.join("; ")}; }` : `${text.slice(0, LONGEST)}…`}`;
  }
  if (kind === "type" || kind === "interface" || kind === "enum") {
    const text = decl.getText().replace(/\/\*\*[\s\S]*?\*\//g, "");
    return text.replace(/^export\s+/, "").replace(/\n\s*\n/g, "\n");
  }
  if (kind === "class")
    return decl
      .getText()
      .slice(0, decl.getText().indexOf("{"))
      .replace(/^export\s+/, "")
      .trim();
  return sym.name;
}

/** Public members of a class or interface, each with its doc and examples. */
function membersOf(sym, kind, checker) {
  if (kind !== "class" && kind !== "interface") return [];
  const own = [...(sym.members?.values() ?? [])];
  const statics =
    kind === "class" ? [...(sym.exports?.values() ?? [])].filter((m) => m.name !== "prototype") : [];
  const out = [];
  for (const m of [...statics.map((s) => [s, true]), ...own.map((s) => [s, false])]) {
    const [member, isStatic] = m;
    const decl = member.declarations?.[0];
    if (!decl || member.name.startsWith("#") || member.name.startsWith("_")) continue;
    const mods = ts.getCombinedModifierFlags(decl);
    if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
    if (decl.name && ts.isPrivateIdentifier(decl.name)) continue;
    const type = checker.getTypeOfSymbolAtLocation(member, decl);
    const sigs = type.getCallSignatures();
    const name = member.name === "__constructor" ? "constructor" : member.name;
    const text =
      member.name === "__constructor"
        ? decl.parameters
          ? `new ${sym.name}(${decl.parameters.map((p) => p.getText()).join(", ")})`
          : ""
        : sigs.length && (member.flags & ts.SymbolFlags.Method || member.flags & ts.SymbolFlags.Function)
          ? sigs.map((s) => `${name}${checker.signatureToString(s, decl, FORMAT)}`).join("\n")
          : `${name}${member.flags & ts.SymbolFlags.Optional ? "?" : ""}: ${checker.typeToString(type, decl, FORMAT)}`;
    out.push({ name, static: isStatic, signature: text, ...docsOf(member, checker) });
  }
  return out;
}

function areaOf(file, root, nodeOnly) {
  if (nodeOnly) return "node";
  const dir = relative(resolve(root, "src"), file).split(/[\\/]/)[0];
  return (AREAS.find((a) => a.dirs.includes(dir)) ?? AREAS.at(-1)).slug;
}

/**
 * The public API: one row per exported name per entry (a name the root exports is listed once, under
 * the root, though "homeostat/node" re-exports it).
 */
export function apiModel(root, entries = packageEntries(root)) {
  const files = entries.map((e) => resolve(root, e.file));
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: ["node"],
  };
  const program = ts.createProgram(files, options);
  const checker = program.getTypeChecker();
  const seen = new Set();
  const symbols = [];
  entries.forEach((entry, i) => {
    const source = program.getSourceFile(files[i]);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    const nodeOnly = i > 0;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      if (seen.has(exported.name)) continue;
      seen.add(exported.name);
      const sym = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decls = sym.declarations ?? [];
      const decl = decls.find((d) => ts.getJSDocCommentsAndTags(d).length) ?? decls[0];
      if (!decl) continue;
      const file = decl.getSourceFile().fileName;
      const kind = kindOf(sym);
      symbols.push({
        name: exported.name,
        entry: entry.spec,
        area: areaOf(file, root, nodeOnly),
        kind,
        file: relative(root, file),
        line: decl.getSourceFile().getLineAndCharacterOfPosition(decl.getStart()).line + 1,
        signature: signatureOf(sym, decl, kind, checker),
        members: membersOf(sym, kind, checker),
        ...docsOf(sym, checker),
      });
    }
  });
  return symbols.sort((a, b) => a.name.localeCompare(b.name, "en"));
}

/** Documented / total, and the names without a doc comment. */
export function coverage(symbols) {
  const undocumented = symbols.filter((s) => !s.doc);
  return { documented: symbols.length - undocumented.length, total: symbols.length, undocumented };
}
