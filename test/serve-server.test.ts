import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import "../src/io/learner-file.js";
import { Learner, type LearnerConfig } from "../src/learner/index.js";
import { DurableLearner } from "../src/serve/durable.js";
import { type Service, serve } from "../src/serve/server.js";
import { nodeLogFs } from "../src/serve/wal.js";
import { Rng } from "../src/tensor/rng.js";
import { tempDir } from "./helpers/tmp.js";

const cfg: LearnerConfig = {
  task: "classification",
  hidden: [8],
  seed: 4,
  features: ["a", "b"],
  probeEvery: 20,
  probe: 16,
};
const rng = new Rng(9);
const ROWS = Array.from({ length: 120 }, () => {
  const x = { a: rng.normal(), b: rng.normal() };
  return { x, y: x.a > x.b ? "hi" : "lo" };
});
const quiet = { warn: () => {} };

async function call(s: Service, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit =
    body === undefined
      ? { headers }
      : { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) };
  const res = await fetch(s.url + path, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

test("observe answers the predictions made before learning, as an in-process learner; predict and vitals follow", async () => {
  const s = await serve(Learner.create(cfg), { ...quiet, dir: tempDir("serve-basic"), port: 0 });
  const reference = Learner.create(cfg);
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const one = await call(s, "/observe", ROWS[0]);
    assert.equal(one.status, 200);
    assert.deepEqual(one.json(), { seq: 1, predictions: [reference.observe(ROWS[0].x, ROWS[0].y)] });
    const many = await call(s, "/observe", ROWS.slice(1, 65));
    assert.deepEqual(
      many.json().predictions,
      ROWS.slice(1, 65).map((r) => reference.observe(r.x, r.y)),
    );
    const p = await call(s, "/predict", [{ x: { a: 1, b: 0 } }, { x: { b: 2, a: -1 } }]);
    assert.deepEqual(p.json().predictions, [
      reference.predict({ a: 1, b: 0 }),
      reference.predict({ b: 2, a: -1 }),
    ]);
    const v = (await call(s, "/vitals")).json();
    assert.equal(v.rows, 65);
    assert.equal(v.service.seq, 65);
    assert.deepEqual(v.prequential, reference.vitals().prequential);
    assert.equal((await call(s, "/checkpoint", {})).json().seq, 65);
  } finally {
    await s.close();
  }
});

test("/metrics is Prometheus text: HELP and TYPE once per family, before its samples, values as the vitals", async () => {
  const s = await serve(Learner.create(cfg), { ...quiet, dir: tempDir("serve-metrics"), port: 0 });
  try {
    await call(s, "/observe", ROWS.slice(0, 50));
    const m = await call(s, "/metrics");
    assert.equal(m.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const v = (await call(s, "/vitals")).json();
    const seen = new Map<string, string>();
    const values = new Map<string, number>();
    let current = "";
    for (const line of m.text.trimEnd().split("\n")) {
      const help = /^# HELP (homeostat_[a-z_]+) \S.*$/.exec(line);
      const type = /^# TYPE (homeostat_[a-z_]+) (counter|gauge)$/.exec(line);
      if (help) {
        assert.ok(!seen.has(help[1]), `${help[1]} twice`);
        current = help[1];
        seen.set(current, "");
      } else if (type) {
        assert.equal(type[1], current, "TYPE follows its HELP");
        seen.set(current, type[2]);
        if (type[2] === "counter") assert.match(current, /_total$/);
      } else {
        const sample =
          /^([a-z_]+)(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? (NaN|[+-]Inf|-?\d+(\.\d+)?(e[+-]?\d+)?)$/.exec(
            line,
          );
        assert.ok(sample, `not a sample line: ${line}`);
        assert.equal(sample[1], current, `${line} outside its family`);
        values.set(sample[1] + (sample[2] ?? ""), Number(sample[4]));
      }
    }
    assert.equal(values.get("homeostat_rows_total"), 50);
    assert.equal(values.get("homeostat_prequential_accuracy"), v.prequential.accuracy);
    assert.equal(values.get("homeostat_replay_fill"), v.replay.size / v.replay.capacity);
    assert.equal(values.get("homeostat_drifts_total"), v.drifts.length);
    assert.equal(values.get('homeostat_dead_fraction{layer="0"}'), v.balance.layers[0].deadFraction);
    assert.equal(values.get('homeostat_effective_rank{layer="0"}'), v.balance.layers[0].effectiveRank);
    assert.equal(values.get('homeostat_http_requests_total{code="200"}'), 1); // the observe; this request is not answered yet
    for (const name of ["health_events_total", "samples_per_second", "log_bytes", "queue_rows"])
      assert.ok(seen.has(`homeostat_${name}`), name);
  } finally {
    await s.close();
  }
});

/** Every malformed request tried: its status and the message's words. */
const BAD: [what: string, path: string, body: string, status: number, message: RegExp][] = [
  ["malformed JSON", "/observe", '{"x": [1, 2', 400, /^the body is not JSON: /],
  ["empty body", "/observe", "", 400, /^the body is empty; expected JSON$/],
  ["empty array", "/observe", "[]", 400, /empty array/],
  ["not an object", "/observe", "[1]", 400, /^the row: expected an object \{"x"/],
  ["missing label", "/observe", '{"x": {"a": 1, "b": 2}}', 400, /^the row: "y" is missing/],
  [
    "unknown key",
    "/observe",
    '{"x": {"a": 1, "b": 2}, "y": "hi", "w": 1}',
    400,
    /^the row: unknown key "w"; expected x, y$/,
  ],
  ["wrong width", "/observe", '{"x": [1, 2, 3], "y": "hi"}', 400, /^the row: x: expected 2 values, got 3$/],
  [
    "unknown feature",
    "/observe",
    '[{"x": {"a": 1, "b": 2}, "y": "hi"}, {"x": {"a": 1, "c": 2}, "y": "hi"}]',
    400,
    /^row 2 of 2: x\.c: unknown feature; expected a, b$/,
  ],
  [
    "non-finite value",
    "/observe",
    '{"x": {"a": 1e999, "b": 2}, "y": "hi"}',
    400,
    /^the row: x\.a: expected a finite number, got .*Infinity/,
  ],
  [
    "text value",
    "/observe",
    '{"x": {"a": "1", "b": 2}, "y": "hi"}',
    400,
    /^the row: x\.a: expected a finite number/,
  ],
  ["bad label", "/observe", '{"x": {"a": 1, "b": 2}, "y": [1]}', 400, /^the row: y: expected a label/],
  [
    "body over the limit",
    "/observe",
    JSON.stringify(ROWS.slice(0, 100)),
    413,
    /^the body is over the limit of 2000 bytes$/,
  ],
  [
    "label to predict",
    "/predict",
    '{"x": {"a": 1, "b": 2}, "y": "hi"}',
    400,
    /unknown key "y"; expected x \(POST \/observe takes labels\)/,
  ],
  [
    "wrong width to predict",
    "/predict",
    '[{"x": {"a": 1, "b": 2}}, {"x": [1]}]',
    400,
    /^row 2 of 2: x: expected 2 values, got 1$/,
  ],
  ["unknown path", "/learn", "{}", 404, /^no \/learn here/],
];

test("bad requests get 400/413 naming the row and the problem; nothing of them is logged or learnt", async () => {
  const dir = tempDir("serve-bad");
  const s = await serve(Learner.create(cfg), { ...quiet, dir, port: 0, maxBodyBytes: 2000 });
  try {
    await call(s, "/observe", ROWS.slice(0, 5));
    const logBytes = s.durable.logBytesNow;
    const table: string[] = [];
    for (const [what, path, body, status, message] of BAD) {
      const r = await call(s, path, body);
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.match(r.json().error, message, what);
      table.push(`| ${what} | ${path} | ${r.status} | ${r.json().error} |`);
    }
    const get = await call(s, "/observe");
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    const v = (await call(s, "/vitals")).json();
    assert.equal(v.rows, 5);
    assert.equal(s.durable.logBytesNow, logBytes);
    // The service goes on: a good row after them all is learnt as the sixth.
    assert.equal((await call(s, "/observe", ROWS[5])).json().seq, 6);
    if (process.env.SERVE_BAD_TABLE) fs.writeFileSync(process.env.SERVE_BAD_TABLE, `${table.join("\n")}\n`);
  } finally {
    await s.close();
  }
});

test("with a token, writes need the bearer header (401 otherwise); reads stay open unless protected", async () => {
  const s = await serve(Learner.create(cfg), {
    ...quiet,
    dir: tempDir("serve-token"),
    port: 0,
    token: "s3cret",
  });
  try {
    const none = await call(s, "/observe", ROWS[0]);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), "Bearer");
    assert.equal((await call(s, "/observe", ROWS[0], { Authorization: "Bearer wrong" })).status, 401);
    assert.equal((await call(s, "/observe", ROWS[0], { Authorization: "Bearer s3cret0" })).status, 401);
    assert.equal((await call(s, "/checkpoint", {}, { Authorization: "Basic s3cret" })).status, 401);
    assert.equal((await call(s, "/observe", ROWS[0], { Authorization: "Bearer s3cret" })).status, 200);
    assert.equal((await call(s, "/vitals")).json().rows, 1);
    assert.equal((await call(s, "/metrics")).status, 200);
  } finally {
    await s.close();
  }
  const locked = await serve(Learner.create(cfg), {
    ...quiet,
    dir: tempDir("serve-locked"),
    port: 0,
    token: "t",
    protectReads: true,
  });
  try {
    assert.equal((await call(locked, "/vitals")).status, 401);
    assert.equal((await call(locked, "/predict", { x: [1, 2] })).status, 401);
    assert.equal((await call(locked, "/vitals", undefined, { Authorization: "Bearer t" })).status, 200);
  } finally {
    await locked.close();
  }
});

/** Node's file calls, with every fsync held until `release` is called. */
function heldFs() {
  let open: () => void = () => {};
  let gate = new Promise<void>((r) => {
    open = r;
  });
  const fs = {
    ...nodeLogFs,
    fsync: async (fd: number) => {
      await gate;
      return nodeLogFs.fsync(fd);
    },
  };
  return {
    fs,
    release: () => {
      open();
      gate = Promise.resolve();
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 2));
}

test("a full queue answers 503 with Retry-After at once; every 200 is learnt, no 503 is", async () => {
  const dir = tempDir("serve-queue");
  const held = heldFs();
  const s = await serve(Learner.create(cfg), { ...quiet, dir, port: 0, maxQueueRows: 16, fs: held.fs });
  try {
    const big = await call(s, "/observe", ROWS.slice(0, 17));
    assert.equal(big.status, 503);
    assert.equal(big.headers.get("retry-after"), "1");
    assert.match(big.json().error, /^the queue is full/);
    // The first commit waits on its fsync while three more requests fill the queue to 16 rows.
    const first = [0, 1, 2, 3].map((i) => call(s, "/observe", ROWS.slice(i * 4, i * 4 + 4)));
    await until(() => s.durable.queuedRows === 16);
    const refused = await call(s, "/observe", ROWS[16]);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    held.release();
    assert.deepEqual(
      (await Promise.all(first)).map((a) => a.status),
      [200, 200, 200, 200],
    );
    assert.equal((await call(s, "/vitals")).json().rows, 16);
  } finally {
    await s.close();
  }
  const back = await DurableLearner.resume(dir, quiet);
  assert.equal(back.lastSeq, 16);
  assert.equal(back.learner.vitals().rows, 16);
  await back.close();
});
