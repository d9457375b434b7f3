// The layer order of src/ as a rule: a folder imports only from folders before it in LAYERS, and no file
// imports itself round a cycle. `npm run lint` runs it; it prints every import against the order and
// every cycle, and exits 1 on any that is not a known debt listed below (each with the issue that
// removes it). Usage: node scripts/check-layers.mjs [--graph]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** DESIGN.md's order; folders that do not exist yet (config, learner, serve) keep their place. */
const LAYERS = [
  "tensor",
  "config",
  "backend",
  "autograd",
  "units",
  "nn",
  "losses",
  "optim",
  "data",
  "train",
  "health",
  "homeostasis",
  "run",
  "continual",
  "learner",
  "io",
  "report",
  "web",
  "serve",
  "cli",
];
/** Files at the top of src/ (the public entry points) may import any folder. */
const TOP = "index";

/** Imports against the order that exist today, each to be removed by the issue named. */
const KNOWN_DEBTS = new Map([
  [
    "cli/commands.ts -> ../bench/bench.ts",
    "by design: `homeostat bench` loads the benchmark the package ships (scripts/check-pack.mjs)",
  ],
]);

const root = resolve(dirname(new URL(import.meta.url).pathname), "..", "src");

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return p.endsWith(join("backend", "wasm", "kernels")) ? [] : files(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

const IMPORT_RE =
  /(?:^|\s)(?:import|export)\s[^'"`;]*?from\s*["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;

const folderOf = (rel) => (rel.includes("/") ? rel.split("/")[0] : TOP);
const edges = new Map(); // file → files it imports (relative to src/)
const violations = [];
for (const file of files(root)) {
  const from = relative(root, file);
  const text = readFileSync(file, "utf8");
  const targets = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    const to = relative(root, resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
    targets.push(to);
    const a = folderOf(from);
    const b = to.startsWith("..") ? "outside src" : folderOf(to);
    if (a === b || a === TOP) continue;
    const upward =
      b === "outside src" ||
      b === TOP ||
      LAYERS.indexOf(b) > LAYERS.indexOf(a) ||
      LAYERS.indexOf(a) < 0 ||
      LAYERS.indexOf(b) < 0;
    if (upward) violations.push(`${from} -> ${to}`);
  }
  edges.set(from, targets);
}

// Cycles between files (Tarjan's strongly connected components): each component of more than one file.
const cycles = [];
{
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) cycles.push(comp.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
}

if (process.argv.includes("--graph")) {
  const counts = new Map();
  for (const [from, targets] of edges)
    for (const to of targets) {
      const a = folderOf(from);
      const b = to.startsWith("..") ? "outside src" : folderOf(to);
      if (a !== b) counts.set(`${a} -> ${b}`, (counts.get(`${a} -> ${b}`) ?? 0) + 1);
    }
  for (const [k, n] of [...counts].sort()) console.log(`${k} (${n})`);
}

const unknown = violations.filter((v) => !KNOWN_DEBTS.has(v));
const stale = [...KNOWN_DEBTS.keys()].filter((d) => !violations.includes(d));
const imports = [...edges.values()].reduce((n, t) => n + t.length, 0);
console.log(`check-layers: ${edges.size} files, ${imports} relative imports; order ${LAYERS.join(" → ")}`);
for (const v of violations)
  console.log(
    `  ${KNOWN_DEBTS.has(v) ? "known debt" : "AGAINST THE ORDER"}: ${v}${KNOWN_DEBTS.has(v) ? ` (${KNOWN_DEBTS.get(v)})` : ""}`,
  );
for (const c of cycles) console.log(`  CYCLE: ${c.join(" → ")}`);
for (const d of stale) console.log(`  fixed (remove it from KNOWN_DEBTS): ${d}`);
const failed = unknown.length + cycles.length + stale.length;
console.log(
  failed === 0
    ? "check-layers: no import against the order and no cycle, beyond the known debts"
    : `check-layers: ${failed} problem(s)`,
);
process.exitCode = failed === 0 ? 0 : 1;
