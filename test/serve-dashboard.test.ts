import { test } from "node:test";
import assert from "node:assert/strict";
import { Learner } from "../src/learner/index.js";
import { DASHBOARD_CSP, DASHBOARD_HISTORY, dashboardPage } from "../src/serve/dashboard.js";
import { serve } from "../src/serve/server.js";
import { tempDir } from "./helpers/tmp.js";

test("the dashboard page is self-contained: no outside address, its script parses, its settings are inlined", () => {
  const html = dashboardPage({ interval: 250 });
  const addresses = [...html.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]);
  assert.deepEqual([...new Set(addresses)], ["http://www.w3.org/2000/svg"], "only the SVG namespace");
  assert.doesNotMatch(html, /<(link|img|iframe)\b|\bsrc=/, "nothing loaded from a file either");
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1);
  assert.doesNotThrow(() => new Function(scripts[0]), "the inlined client is whole JavaScript");
  assert.ok(scripts[0].endsWith(`(${JSON.stringify({ interval: 250, history: DASHBOARD_HISTORY })});`));
  for (const id of ["ch-score", "ch-dead", "ch-rank", "ch-rps", "ch-fill", "ev-body", "auth"])
    assert.match(html, new RegExp(`id="${id}"`), id);
});

test("GET / is open with a token that protects reads; /vitals is not; the page's headers forbid outside requests", async () => {
  const learner = Learner.create({ task: "classification", seed: 1, hidden: [4] });
  const s = await serve(learner, {
    dir: tempDir("serve-dashboard"),
    port: 0,
    token: "t",
    protectReads: true,
  });
  try {
    const page = await fetch(`${s.url}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(page.headers.get("content-security-policy"), DASHBOARD_CSP);
    assert.match(DASHBOARD_CSP, /default-src 'none'.*connect-src 'self'/);
    assert.match(await page.text(), /<title>Homeostat · live learner<\/title>/);
    assert.equal((await fetch(`${s.url}/vitals`)).status, 401);
    assert.equal((await fetch(`${s.url}/vitals`, { headers: { Authorization: "Bearer t" } })).status, 200);
    const post = await fetch(`${s.url}/`, { method: "POST" });
    assert.equal(post.status, 405);
    const missing = await (await fetch(`${s.url}/learn`)).json();
    assert.equal(missing.error, "no /learn here; try /observe, /predict, /checkpoint, /vitals, /metrics, /");
  } finally {
    await s.close();
  }
});
