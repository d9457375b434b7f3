/**
 * The service's dashboard in a real browser (Debian's Chromium): a token-protected service learns SEA
 * rows sent over HTTP, then rows whose labels flipped; the page, opened without the token, asks for it,
 * then draws the rows as they are learnt and the drift marker after the flip, and fetches nothing but
 * the service's own /vitals. Saves a screenshot under test-artifacts/.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SeaStream } from "../src/data/synthetic-streams.js";
import { Learner } from "../src/learner/index.js";
import { type Service, serve } from "../src/serve/server.js";
import { artifactPath, launchBrowser } from "./helpers/browser.js";
import { inkFraction } from "./helpers/pixels.js";
import { tempDir } from "./helpers/tmp.js";

const TOKEN = "s3cret-token";
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let service: Service;
const dir = tempDir("e2e-dashboard");

before(async () => {
  browser = await launchBrowser({ width: 1280, height: 1000 });
  // Adam at 30× its default rate: the health monitor finds (and repairs) dying units along the way.
  const learner = Learner.create({
    task: "classification",
    seed: 1,
    hidden: [32, 16],
    probeEvery: 100,
    optimizer: { type: "adam", lr: 0.03 },
  });
  service = await serve(learner, {
    dir,
    port: 0,
    token: TOKEN,
    protectReads: true,
    dashboardInterval: 150,
  });
});
after(async () => {
  await browser?.close();
  await service?.close();
});

const auth = { Authorization: `Bearer ${TOKEN}` };

/** Send `rows` in requests of 50, labels flipped when asked (the concept changed). */
async function send(rows: { x: ArrayLike<number>; y: string | number }[], flip: boolean) {
  for (let i = 0; i < rows.length; i += 50) {
    const body = rows.slice(i, i + 50).map(({ x, y }) => ({ x: Array.from(x), y: flip ? 1 - Number(y) : y }));
    const res = await fetch(`${service.url}/observe`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.clone().text());
  }
}

const vitals = async () => (await fetch(`${service.url}/vitals`, { headers: auth })).json();

test("the dashboard asks for the token, then draws the rows as they are learnt, the drift after the flip and the health events", async () => {
  const page = browser.page;
  const outside: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(service.url)) outside.push(r.url());
  });
  const res = await fetch(`${service.url}/`);
  assert.equal(res.status, 200, "the page itself is open");
  assert.equal((await fetch(`${service.url}/vitals`)).status, 401, "its data is not");

  await page.goto(`${service.url}/`);
  await page.locator("#auth").waitFor({ state: "visible" });
  await page.fill("#auth input", TOKEN);
  await page.click("#auth button");

  const stream = [...new SeaStream({ seed: 3 }).take(4000)];
  await send(stream.slice(0, 2000), false);
  await page.waitForFunction(() => Number(document.body.dataset.rows) >= 2000, null, { timeout: 20_000 });
  assert.equal(await page.locator("#ch-score path.line").count(), 2, "prequential and recent");
  assert.equal(await page.locator("#ch-score .event.drift").count(), 0, "no drift yet");

  await send(stream.slice(2000), true);
  const v = await vitals();
  assert.ok(v.drifts.length >= 1, "the flip is detected");
  await page.waitForFunction(() => Number(document.body.dataset.rows) === 4000, null, { timeout: 20_000 });
  await page.locator("#ch-score .event.drift").first().waitFor({ timeout: 20_000 });
  // Every drift the service knows of is marked, at its row, with its evidence.
  assert.equal(await page.locator("#ch-score .event.drift").count(), v.drifts.length);
  const title = await page.locator("#ch-score .event.drift title").first().textContent();
  assert.equal(title, `drift at row ${v.drifts[0].row}: ${v.drifts[0].evidence.message}`);
  assert.ok(v.drifts[0].row > 2000, "after the flip");

  // The cards say what /vitals says.
  assert.equal(await page.locator("#c-rows").textContent(), "4,000");
  assert.equal(await page.locator("#c-drifts").textContent(), String(v.drifts.length));
  assert.equal(await page.locator("#c-preq").textContent(), `${(100 * v.prequential.accuracy).toFixed(1)}%`);
  assert.equal(await page.locator("#c-health").textContent(), v.health.status);
  assert.equal(await page.locator("#ch-dead path.line").count(), 2, "a line per hidden layer");
  assert.equal(await page.locator("#ch-rank path.line").count(), 2);

  // The health events, newest first, in plain words.
  assert.ok(v.health.recent.length >= 1, "the monitor found something");
  const rows = page.locator("#ev-body tr");
  assert.equal(await rows.count(), v.health.recent.length + v.health.failures.length);
  const newest = v.health.recent.at(-1);
  assert.equal(await rows.first().locator("td").first().textContent(), String(newest.step));
  assert.match((await rows.first().textContent()) ?? "", new RegExp(newest.kind));
  assert.ok(((await rows.first().textContent()) ?? "").includes(newest.diagnosis));

  const ink = await inkFraction(page, await page.locator("#ch-score").screenshot());
  assert.ok(ink > 0.01, `the accuracy chart has ink (${ink})`);
  await page.screenshot({ path: artifactPath("dashboard.png"), fullPage: true });
  assert.deepEqual(outside, [], "nothing fetched from anywhere but the service");
});
