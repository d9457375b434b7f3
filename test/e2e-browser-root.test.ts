/**
 * The package root in a browser, as a user's bundler sees it: test/fixtures/browser-root is built with
 * Vite (rolldown; browser platform, and a plugin that fails the build on any Node module instead of
 * Vite's silent empty stand-in), served from localhost and opened in Debian's Chromium as a plain
 * `<script type="module">` page. The page trains a tiny seeded model on the js backend, then fetches
 * the wasm kernels with no configuration (`loadWasmBackend()`) and trains again; the weights must equal
 * the same run in Node bit for bit (tiny-run.js is the one script both run). Prints the bundle sizes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "vite";
import * as homeostat from "homeostat";
import { collectPageErrors, launchBrowser } from "./helpers/browser.js";
import { serveFolder } from "./helpers/static-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE = `${ROOT}test/fixtures/browser-root`;

interface RunResult {
  backend: string;
  variant: string | null;
  weights: [string, number[]][];
  finalLoss: number;
  learnerBytes: number;
  prediction: unknown[];
}
type PageResult = { error?: string; js: RunResult; wasmLoaded: boolean; wasm: RunResult | null };

/** Fails the build on a Node module: the root must need no polyfill. */
const noNodeModules: Plugin = {
  name: "no-node-modules",
  enforce: "pre",
  resolveId(source, importer) {
    if (source.startsWith("node:") || builtinModules.includes(source))
      this.error(`${importer ?? "?"} imports ${source}: the package root must not need Node`);
    return null;
  },
};

/** A browser build of `input` (an HTML page or a script) with "homeostat" resolved to the built root. */
async function bundle(input: string, outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: FIXTURE,
    base: "./",
    logLevel: "warn",
    resolve: { alias: { homeostat: `${ROOT}dist/src/index.js` } },
    plugins: [noNodeModules],
    build: { outDir, emptyOutDir: true, rollupOptions: { input } },
  });
}

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile());
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

const scratch = mkdtempSync(join(tmpdir(), "homeostat-browser-root-"));
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let server: Awaited<ReturnType<typeof serveFolder>>;
let page: string;
let pageErrors: string[] = [];

before(async () => {
  page = join(scratch, "page");
  await bundle(`${FIXTURE}/index.html`, page);
  server = await serveFolder(page);
  browser = await launchBrowser();
  // Every fetch the page makes must succeed.
  pageErrors = collectPageErrors(browser.page);
});
after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

test("the root bundles for the browser and trains there bit for bit as in Node, on js and on wasm", async () => {
  const { tinyRun } = (await import(`${FIXTURE}/tiny-run.js`)) as {
    tinyRun(h: unknown, backend: string): RunResult;
  };
  await browser.page.goto(server.url);
  await browser.page
    .waitForFunction(() => "homeostatRun" in window, null, { timeout: 30_000 })
    .catch(() => {
      assert.fail(`the page did not run: ${pageErrors.join("; ")}`);
    });
  const result = (await browser.page.evaluate(
    () => (window as unknown as { homeostatRun: Promise<unknown> }).homeostatRun,
  )) as PageResult;
  assert.equal(result.error, undefined, result.error);
  assert.deepEqual(pageErrors, []);
  const nodeJs = tinyRun(homeostat, "js");
  assert.equal(result.js.backend, "js");
  assert.deepEqual(result.js.weights, nodeJs.weights, "js backend: the browser's weights are Node's");
  assert.equal(result.js.finalLoss, nodeJs.finalLoss);
  assert.deepEqual(result.js.prediction, nodeJs.prediction, "the learner, also after toBytes/fromBytes");
  assert.deepEqual(result.js.prediction[0], result.js.prediction[1]);

  assert.equal(result.wasmLoaded, true, "loadWasmBackend() fetched the kernels with no configuration");
  const nodeWasm = tinyRun(homeostat, "wasm");
  homeostat.useBackend("js");
  assert.equal(result.wasm?.backend, "wasm");
  assert.deepEqual(result.wasm.weights, nodeWasm.weights, "wasm backend: the browser's weights are Node's");
  assert.notDeepEqual(nodeWasm.weights, nodeJs.weights, "the wasm run did run on other kernels");
  console.log(
    `# browser: js and ${result.wasm.variant} (Node: ${nodeWasm.variant}) equal Node bit for bit; final loss ${result.wasm.finalLoss}`,
  );
  const wasm = files(page).filter((f) => f.endsWith(".wasm"));
  assert.equal(wasm.length, 4, `the four kernel variants ship with the page: ${wasm.join(", ")}`);
});

test("bundle size of a page that imports only the learner, minified and gzipped; the wasm sizes", async () => {
  const out = join(scratch, "learner");
  await bundle(`${FIXTURE}/learner-only.js`, out);
  const js = files(out).filter((f) => f.endsWith(".js"));
  assert.ok(js.length >= 1, "the learner page bundled");
  const bytes = js.map((f) => readFileSync(join(out, f)));
  const minified = bytes.reduce((n, b) => n + b.length, 0);
  const gzipped = bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
  const wasm = files(page)
    .filter((f) => f.endsWith(".wasm"))
    .map((f) => {
      const b = readFileSync(join(page, f));
      return `${f.replace(/^.*\//, "").replace(/-[\w-]{8}\.wasm$/, "")} ${b.length} B (${gzipSync(b, { level: 9 }).length} B gzip)`;
    });
  console.log(`# learner page: ${kb(minified)} minified, ${kb(gzipped)} gzip -9; wasm: ${wasm.join("; ")}`);
  assert.ok(gzipped < minified, "gzip measured");
});
