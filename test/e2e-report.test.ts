/**
 * The report in a real browser (Debian's Chromium): every chart is drawn, markers carry their
 * diagnosis, and nothing is fetched from anywhere. Saves screenshots under test-artifacts/.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { renderReport } from "../src/report/render.js";
import { artifactPath, launchBrowser } from "./helpers/browser.js";
import { inkFraction } from "./helpers/pixels.js";
import { syntheticRecord } from "./helpers/records.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir("e2e-report");
let browser: Awaited<ReturnType<typeof launchBrowser>>;

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function open(name: string, html: string): Promise<string[]> {
  const file = join(dir, name);
  writeFileSync(file, html);
  const requests: string[] = [];
  const onRequest = (r: { url(): string }): void => {
    requests.push(r.url());
  };
  browser.page.on("request", onRequest);
  await browser.page.goto(pathToFileURL(file).href);
  browser.page.off("request", onRequest);
  return requests.filter((u) => !u.startsWith("file:"));
}

test("a report of a 10⁶-step run opens offline and every chart is drawn", async () => {
  const record = syntheticRecord({
    steps: 1_000_000,
    checkEvery: 100,
    events: 6,
    spikeAt: 400_000,
    continualTasks: 5,
  });
  const outside = await open("long.html", renderReport([{ label: "long run", record }]));
  assert.deepEqual(outside, [], "no request leaves the file");
  const page = browser.page;
  const charts = page.locator("svg.chart");
  const n = await charts.count();
  assert.ok(n >= 8, `${n} charts`);
  for (let i = 0; i < n; i++) {
    const chart = charts.nth(i);
    const box = await chart.boundingBox();
    assert.ok(box && box.width > 300 && box.height > 100, `chart ${i} has a size`);
    const lineLength = await chart.evaluate((svg) =>
      Array.from(svg.querySelectorAll("path.line")).reduce(
        (s, p) => s + (p as SVGPathElement).getTotalLength(),
        0,
      ),
    );
    assert.ok(lineLength > 100, `chart ${i}: lines drawn (${lineLength} px)`);
    const ink = await inkFraction(page, await chart.screenshot());
    assert.ok(ink > 0.02, `chart ${i}: ${(100 * ink).toFixed(1)}% of pixels inked`);
  }
  // The diagnosis of an event is the hover text of its marker.
  const tip = await page.locator("g.event title").first().textContent();
  assert.match(tip!, /dyingRelu \(layer 0\)/);
  assert.match(tip!, /<script>alert/, "shown as text, not run");
  assert.equal(await page.evaluate(() => document.querySelectorAll("script").length), 0);
  assert.equal(await page.locator("svg.heatmap rect").count(), 25);
  await page.screenshot({ path: artifactPath("report-long.png"), fullPage: true });
});

test("two runs compared: both drawn on one set of axes", async () => {
  const a = syntheticRecord({ steps: 4000, events: 2, label: "adam" });
  const b = syntheticRecord({ steps: 6000, events: 1, seed: 3, scale: 1.4, label: "sgd" });
  await open(
    "compare.html",
    renderReport([
      { label: "adam", record: a },
      { label: "sgd", record: b },
    ]),
  );
  const page = browser.page;
  const loss = page.locator("figure", { hasText: "Loss" }).first().locator("svg.chart");
  assert.equal(await loss.locator("path.line").count(), 4, "training and validation loss of each run");
  assert.equal(await loss.locator("path.line[stroke-dasharray]").count(), 2, "the second run dashed");
  assert.ok((await inkFraction(page, await loss.screenshot())) > 0.02);
  await page.screenshot({ path: artifactPath("report-compare.png"), fullPage: true });
});
