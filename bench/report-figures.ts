/**
 * Figures for the README (not a test): the size and render time of a report of a 10⁶-step run, and the
 * playground's training speed in headless Chromium. Needs /usr/bin/chromium and a built playground
 * (npm run playground:build).
 *
 *   npm run build && node dist/bench/report-figures.js
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { StepRecorder, stringifyRunRecord } from "../src/report/record.js";
import { launchBrowser } from "../test/helpers/browser.js";
import { syntheticRecord } from "../test/helpers/records.js";
import { serveFolder } from "../test/helpers/static-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/bin.js");
const dir = mkdtempSync(join(tmpdir(), "homeostat-figures-"));
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

// A record as the CLI writes it for 10⁶ steps: per-step loss through the bounded recorder.
const recorder = new StepRecorder();
for (let s = 1; s <= 1_000_000; s++) recorder.add(s, 2 * Math.exp(-s / 2e5) + 0.1 * Math.random(), 1e-3);
const cliLike = { ...syntheticRecord({ steps: 10, checkEvery: 1 }), steps: recorder.series() };
writeFileSync(join(dir, "cli.json"), stringifyRunRecord(cliLike));
console.log(
  `record file of a 10⁶-step run as the CLI writes it (loss and learning rate in 1,024 buckets): ${kib(statSync(join(dir, "cli.json")).size)}`,
);

// The worst case: every step written out (10⁶ losses and learning rates), health every 100 steps, 30 events.
const raw = syntheticRecord({
  steps: 1_000_000,
  checkEvery: 100,
  events: 30,
  spikeAt: 400_000,
  continualTasks: 5,
});
writeFileSync(join(dir, "raw.json"), stringifyRunRecord(raw));
console.log(`unbucketed 10⁶-step record: ${kib(statSync(join(dir, "raw.json")).size)}`);
for (let round = 0; round < 3; round++) {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [BIN, "report", join(dir, "raw.json"), "--out", join(dir, "raw.html")],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  console.log(
    `homeostat report (read, check, render, write) of the unbucketed record: ${((performance.now() - t0) / 1000).toFixed(2)} s wall, HTML ${kib(statSync(join(dir, "raw.html")).size)}`,
  );
}

const browser = await launchBrowser();
for (let round = 0; round < 3; round++) {
  const t0 = performance.now();
  await browser.page.goto(pathToFileURL(join(dir, "raw.html")).href, { waitUntil: "load" });
  await browser.page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))),
  );
  console.log(`Chromium: report opened and painted in ${(performance.now() - t0).toFixed(0)} ms`);
}

const server = await serveFolder(join(ROOT, "playground/dist"));
for (const backend of ["js", "wasm"]) {
  for (const dataset of ["circle", "digits"]) {
    await browser.page.goto(`${server.url}?backend=${backend}`);
    const used = await browser.page.evaluate(
      () => (window as unknown as { playground: { backend: string } }).playground.backend,
    );
    if (used !== backend) {
      console.log(`playground: no ${backend} backend registered (ran on ${used}); skipped`);
      break;
    }
    await browser.page.selectOption("#dataset", dataset);
    await browser.page.waitForFunction(
      (d) => (d === "digits") === document.getElementById("boundary")!.hidden,
      dataset,
    );
    // Repairs off: the monitor still measures every check, but cannot pause the run (see PLAYGROUND_THRESHOLDS).
    await browser.page.uncheck("#repair");
    await browser.page.click("#play");
    await browser.page.waitForTimeout(10_000);
    const p = await browser.page.evaluate(
      () =>
        (
          window as unknown as {
            playground: { step: number; stepsPerSecond: number; wallStepsPerSecond: number };
          }
        ).playground,
    );
    const net = dataset === "digits" ? "784-16-16-10 relu" : "2-16-16-2 tanh";
    console.log(
      `playground on ${backend} (${dataset}, ${net}, adam, batch 10, monitor on, repairs off): ${p.step} steps in 10 s; ${Math.round(p.stepsPerSecond)} steps/s while training, ${Math.round(p.wallStepsPerSecond)} steps/s wall (drawing included)`,
    );
  }
}
await server.close();
await browser.close();
rmSync(dir, { recursive: true, force: true });
