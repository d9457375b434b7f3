/**
 * The package root loads in a browser: walking the compiled graph from dist/src/index.js (relative
 * imports and dynamic ones) reaches no `node:` module and no other package. Node's modules are reached
 * only through `process.getBuiltinModule`, guarded, at run time (backend/index.ts, wasm/loader.ts,
 * wasm/threads.ts). `homeostat/node` is where the file system lives, and the same walk finds it there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { externalImports } from "./helpers/import-graph.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("the root entry's import graph reaches no node: module and no other package", () => {
  const { files, external } = externalImports(`${ROOT}dist/src/index.js`, ROOT);
  assert.ok(files > 100, `the walk followed the graph (${files} files)`);
  assert.deepEqual(
    external.map((e) => `${e.specifier} ← ${e.chain.join(" ← ")}`),
    [],
    "the root must stay browser-safe: move file access to homeostat/node (src/node.ts)",
  );
});

test("the same walk finds node:fs from homeostat/node (the walk can fail)", () => {
  const { external } = externalImports(`${ROOT}dist/src/node.js`, ROOT);
  const found = new Set(external.map((e) => e.specifier));
  for (const name of ["node:fs", "node:path", "node:zlib", "node:http"]) assert.ok(found.has(name), name);
  const fs = external.find((e) => e.specifier === "node:fs")!;
  assert.equal(fs.chain.at(-1), "dist/src/node.js", "the chain leads back to the entry");
});
