// What `npm pack` would ship, checked against what the package's entry points actually load.
//
//   node scripts/check-pack.mjs          # after `npm run build`; exit 1 with a list when wrong
//
// Starting from the package's entry points (the library root, the `homeostat` binary, and the benchmark
// the binary's `bench` command imports), it follows every relative import, dynamic import and
// `new URL("./…", import.meta.url)` reference through the compiled JavaScript, and fails when a file so
// reached is missing from the package (an install would break) or when the package ships JavaScript no
// entry point reaches (tests, experiment scripts: weight a user downloads for nothing).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const exported = Object.values(pkg.exports).map((e) => (typeof e === "string" ? e : e.default));
const entries = [pkg.main, ...exported, ...Object.values(pkg.bin), "dist/bench/bench.js"].map((p) =>
  normalize(p),
);

// Files any package must carry beside the code.
const REQUIRED = ["package.json", "README.md", "LICENSE", "docs/cli.md"];
// Non-JavaScript files a shipped module reads at run time, named by path rather than import.
const READ_AT_RUN_TIME = ["bench/torch_peer.py"];

const packed = JSON.parse(
  execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { encoding: "utf8" }),
)[0];
const shipped = new Set(packed.files.map((f) => normalize(f.path)));

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"(\.{1,2}\/[^"]+)"/g;
const URL_REF = /new URL\(\s*[`"](\.{1,2}\/[^`"]+)[`"]\s*,\s*import\.meta\.url\s*\)/g;

/** Every file reachable from the entry points, with who reached it first. */
function reachable() {
  const seen = new Map(entries.map((e) => [e, "entry point"]));
  const queue = [...entries];
  while (queue.length) {
    const file = queue.shift();
    if (!existsSync(file) || !file.endsWith(".js")) continue;
    // Comments hold examples with import lines of their own: read the code only.
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "");
    const refs = [...text.matchAll(IMPORT), ...text.matchAll(URL_REF)].map((m) => m[1]);
    for (const ref of refs) {
      // A template such as `./${name}.wasm` stands for every file of that pattern beside the module.
      const targets = ref.includes("${") ? expandTemplate(file, ref) : [normalize(join(dirname(file), ref))];
      for (const t of targets) {
        if (t.endsWith("package.json")) continue; // read for --version; npm always ships it
        if (!seen.has(t)) {
          seen.set(t, file);
          queue.push(t);
        }
      }
    }
  }
  return seen;
}

function expandTemplate(file, ref) {
  const pattern = new RegExp(
    `^${normalize(join(dirname(file), ref))
      .split(/\$\{[^}]*\}/)
      .map((s) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))
      .join("[^/]+")}$`,
  );
  return [...shipped].filter((f) => pattern.test(f));
}

const reached = reachable();
const problems = [];
for (const f of REQUIRED) if (!shipped.has(f)) problems.push(`missing from the package: ${f}`);
for (const f of READ_AT_RUN_TIME) if (!shipped.has(f)) problems.push(`missing from the package: ${f}`);
for (const [f, by] of reached) {
  if (!shipped.has(f)) problems.push(`missing from the package: ${f} (loaded by ${by})`);
}
// Library modules the root does not reach yet are public through no path but cost little; scripts
// outside dist/src (benchmarks, experiments) must be reached or left out.
const unreachedLibrary = [];
for (const f of shipped) {
  if (!f.endsWith(".js") || reached.has(f)) continue;
  if (!existsSync(f.replace(/^dist\//, "").replace(/\.js$/, ".ts")))
    problems.push(`stale build output (its source is gone; rebuild from clean): ${f}`);
  else if (f.startsWith("dist/src/")) {
    if (readFileSync(f, "utf8").trim() !== "export {};") unreachedLibrary.push(f);
  } else problems.push(`shipped but no entry point loads it: ${f}`);
}
for (const f of shipped) {
  if (/^dist\/(test|playground)\//.test(f) || f.startsWith("test/"))
    problems.push(`tests or the playground in the package: ${f}`);
}

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
if (problems.length) {
  console.error(`check-pack: ${problems.length} problem(s) in what npm pack would ship:`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
if (unreachedLibrary.length)
  console.log(`check-pack: library modules no entry point loads yet: ${unreachedLibrary.join(", ")}`);
console.log(
  `check-pack: ${shipped.size} files, ${kib(packed.size)} packed (${kib(packed.unpackedSize)} unpacked); ` +
    `every file the entry points load is shipped, and no script that none loads`,
);
