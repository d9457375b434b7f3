/**
 * The package as a user gets it: `npm pack`, the tarball installed offline into a fixture app
 * (test/fixtures/browser-app), built with Vite, served with COOP/COEP headers from a local server and
 * driven in Debian's Chromium. The page trains the digits MLP in a worker on two wasm threads, saves the
 * model file in IndexedDB; after a reload it loads it and continues training. Both model files (weights
 * and Adam state) must equal the same jobs run in Node bit for bit (job.js is the one script both run).
 * Prints the bundle size and the speed of one thread against two, in the browser and in Node.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "vite";
import * as h from "homeostat";
import { collectPageErrors, launchBrowser } from "./helpers/browser.js";
import { ISOLATION_HEADERS, serveFolder } from "./helpers/static-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { digitsJob, learnerRows } = (await import(`${ROOT}test/fixtures/browser-app/job.js`)) as {
  digitsJob(
    lib: unknown,
    o: { model?: Uint8Array; threads: number; epochs?: number; rows?: number },
  ): h.TrainingJob;
  learnerRows(lib: unknown): { xs: number[][]; ys: string[]; config: h.LearnerConfig };
};

type Run = {
  phase: string;
  isolated: boolean;
  epochs: number[];
  batches: number[];
  sha256: string;
  savedSha256?: string;
  seconds: number;
  backend: h.JobBackend;
  learner: { vitals: number[]; predictions: h.Prediction[] };
};
type Probe = {
  isolated: boolean;
  threads: number;
  threadsReason: string;
  variant: string;
  here: Record<string, { sha256: string; threads: number }>;
};

const scratch = mkdtempSync(join(tmpdir(), "homeostat-browser-app-"));
const app = join(scratch, "app");
const site = join(scratch, "site");
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let server: Awaited<ReturnType<typeof serveFolder>>;
let pageErrors: string[] = [];

function run(cmd: string, args: string[], cwd: string): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

/** The packed tarball into the app: `npm install --offline` (the runtime dependency from npm's cache), else unpacked by hand. */
function installTarball(): string {
  const packed = run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", scratch], ROOT);
  assert.ok(packed.ok, `npm pack failed: ${packed.out}`);
  const tarball = join(scratch, packed.out.trim().split("\n").at(-1)!);
  const npm = run(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball],
    app,
  );
  if (npm.ok) return "npm install --offline";
  const into = join(app, "node_modules", "homeostat");
  mkdirSync(into, { recursive: true });
  const tar = run("tar", ["-xzf", tarball, "-C", into, "--strip-components=1"], app);
  assert.ok(tar.ok, `npm install failed (${npm.out}) and so did tar: ${tar.out}`);
  return "unpacked by hand (npm install --offline failed)";
}

async function visit(path: string): Promise<Record<string, unknown>> {
  await browser.page.goto(server.url + path);
  await browser.page.waitForFunction(() => "appRun" in window, null, { timeout: 30_000 });
  const result = (await browser.page.evaluate(
    () => (window as unknown as { appRun: Promise<unknown> }).appRun,
  )) as Record<string, unknown>;
  assert.equal(result.error, undefined, String(result.error));
  return result;
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile());

before(async () => {
  cpSync(`${ROOT}test/fixtures/browser-app`, app, { recursive: true });
  const how = installTarball();
  await build({
    configFile: false,
    root: app,
    base: "./",
    logLevel: "warn",
    build: { outDir: site, emptyOutDir: true },
    worker: { format: "es" },
  });
  console.log(`# the tarball: ${how}`);
  server = await serveFolder(site, ISOLATION_HEADERS);
  browser = await launchBrowser();
  pageErrors = collectPageErrors(browser.page);
});
after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

test("trained in a worker on two threads, saved in IndexedDB, reloaded and continued: Node's bits", async () => {
  const first = (await visit("")) as Run;
  assert.equal(first.phase, "first");
  assert.equal(first.isolated, true, "COOP/COEP made the page cross-origin isolated");
  assert.equal(first.backend.name, "wasm");
  assert.equal(first.backend.threads, 2, first.backend.threadsReason);
  assert.equal(first.backend.threadsReason, "Web Workers over shared memory");
  assert.deepEqual(first.epochs, [0, 1], "epoch events streamed back from the worker");
  assert.deepEqual(first.batches, [4, 8, 12, 16, 20, 24, 28, 32]);
  await browser.page.reload();
  const second = (await visit("")) as Run;
  assert.equal(second.phase, "second", "the reloaded page found the model in IndexedDB");
  assert.equal(second.savedSha256, first.sha256, "IndexedDB gave back the bytes it was given");
  assert.equal(second.backend.threads, 2);

  const nodeFirst = await h.runTrainingJob(digitsJob(h, { threads: 2 }));
  const nodeSecond = await h.runTrainingJob(digitsJob(h, { model: nodeFirst.model, threads: 2 }));
  h.useBackend("js");
  assert.equal(first.backend.variant, nodeFirst.backend.variant, "the same kernels in both");
  assert.equal(first.sha256, sha256(nodeFirst.model), "the first model file is Node's, bit for bit");
  assert.equal(second.sha256, sha256(nodeSecond.model), "the continued model file is Node's, bit for bit");
  assert.notEqual(second.sha256, first.sha256, "the second visit trained");

  // The learner: half the stream in a worker, its bytes in OPFS; after the reload, the other half.
  const { xs, ys, config } = learnerRows(h);
  h.useBackend("js");
  const local = h.Learner.create(config);
  const firstHalf = xs.slice(0, 150).map((x, i) => local.observe(x, ys[i]!));
  const resumed = h.Learner.fromBytes(local.toBytes());
  const secondHalf = xs.slice(150).map((x, i) => resumed.observe(x, ys[150 + i]!));
  assert.deepEqual(first.learner.predictions, firstHalf, "the worker's learner predicts as Node's");
  assert.deepEqual(
    second.learner.predictions,
    secondHalf,
    "and continues from OPFS as Node's does from bytes",
  );
  assert.deepEqual(
    [first.learner.vitals, second.learner.vitals],
    [
      [50, 100, 150],
      [200, 250, 300],
    ],
  );
  assert.deepEqual(pageErrors, []);
});

test("the main thread of an isolated page gets two threads too; without isolation one, and says why", async () => {
  const isolated = (await visit("?probe")) as unknown as Probe;
  assert.deepEqual([isolated.isolated, isolated.threads], [true, 2], isolated.threadsReason);
  const node = await h.runTrainingJob(digitsJob(h, { threads: 2, rows: 256 }));
  h.useBackend("js");
  assert.deepEqual(
    [isolated.here["2"], isolated.here["1"]],
    [
      { sha256: sha256(node.model), threads: 2 },
      { sha256: sha256(node.model), threads: 1 },
    ],
    "on the main thread, two threads and one give Node's bits",
  );
  const plain = await serveFolder(site);
  try {
    await browser.page.goto(`${plain.url}?probe`);
    await browser.page.waitForFunction(() => "appRun" in window, null, { timeout: 30_000 });
    const got = (await browser.page.evaluate(
      () => (window as unknown as { appRun: Promise<Probe> }).appRun,
    )) as Probe;
    assert.equal(got.isolated, false);
    assert.equal(got.threads, 1);
    assert.match(got.threadsReason, /not cross-origin isolated \(serve it with COOP\/COEP headers\)/);
  } finally {
    await plain.close();
  }
});

test("figures: one thread against two in the browser and in Node; the app's bundle size", async () => {
  const { rounds } = (await visit("?bench")) as {
    rounds: { threads: number; seconds: number; used: number }[];
  };
  const node: { threads: number; seconds: number }[] = [];
  for (let r = 0; r < 3; r++)
    for (const threads of [1, 2])
      node.push({
        threads,
        seconds: (await h.runTrainingJob(digitsJob(h, { threads, rows: 4096, epochs: 1 }))).seconds,
      });
  h.useBackend("js");
  const best = (xs: { threads: number; seconds: number }[], t: number): number =>
    Math.min(...xs.filter((x) => x.threads === t).map((x) => x.seconds));
  const rate = (s: number): string => `${Math.round(4096 / s)} rows/s`;
  assert.ok(
    rounds.every((r) => r.used === r.threads),
    "each round ran on the threads it asked for",
  );
  console.log(
    `# digits MLP 784-128-10, batch 64, 4096 rows, best of 3: browser 1 thread ${rate(best(rounds, 1))}, 2 threads ${rate(best(rounds, 2))}; Node 1 thread ${rate(best(node, 1))}, 2 threads ${rate(best(node, 2))}`,
  );
  const js = files(site).filter((f) => f.endsWith(".js"));
  const wasm = files(site).filter((f) => f.endsWith(".wasm"));
  const size = (f: string): string => {
    const b = readFileSync(join(site, f));
    return `${f.replace(/^.*\//, "").replace(/-[\w-]{8}\.js$/, "")} ${(b.length / 1024).toFixed(1)} KiB (${(gzipSync(b, { level: 9 }).length / 1024).toFixed(1)} KiB gzip -9)`;
  };
  console.log(`# app bundle, minified: ${js.map(size).join("; ")}; wasm: ${wasm.map(size).join("; ")}`);
  assert.ok(wasm.length >= 2 && js.length >= 3, "the page, the training worker and the threads' worker");
});
