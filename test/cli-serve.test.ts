import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startService, send } from "./helpers/serve-crash.js";
import { Agent } from "node:http";
import { tempDir } from "./helpers/tmp.js";
import { loadLearner, openLearner } from "../src/io/learner-file.js";
import { seqName } from "../src/serve/durable.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "cli", "bin.js");
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, "live", ...args], { encoding: "utf8" });

/** A folder with a small regression learner's live.json, and where its service goes. */
function regressionService(name: string): { dir: string; config: string; service: string } {
  const dir = tempDir(name);
  const config = join(dir, "live.json");
  fs.writeFileSync(
    config,
    JSON.stringify({ task: "regression", hidden: [4], seed: 2, serve: { every: 1000 } }),
  );
  return { dir, config, service: join(dir, "s") };
}

test("live --serve: usage and config mistakes exit 2 with a message, before serving", () => {
  const dir = tempDir("cli-serve");
  const config = join(dir, "live.json");
  fs.writeFileSync(config, JSON.stringify({ task: "classification", serve: { every: 0 } }));
  const cases: [string[], RegExp][] = [
    [["--config", config, "--port", "1"], /--port is for --serve/],
    [
      ["--config", config, "--serve", "--input", "rows.csv"],
      /--input reads or writes a stream; not with --serve/,
    ],
    [["--config", config, "--serve", "--port", "x"], /--port: expected an integer ≥ 0, got "x"/],
    [["--config", config, "--serve"], /serve\.every.*≥ 1/],
    [["--serve"], /live --serve needs --config live\.json/],
    [["--resume", dir, "--serve"], /no checkpoints there/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  fs.writeFileSync(config, JSON.stringify({ task: "classification", serve: { lag: 1 } }));
  assert.match(cli(["--config", config, "--serve"]).stderr, /serve\.lag: unknown key/);
  // The crash drill's full disk: a malformed plan is refused before anything is made.
  fs.writeFileSync(config, JSON.stringify({ task: "classification" }));
  const faulty = spawnSync(
    process.execPath,
    [BIN, "live", "--config", config, "--serve", "--dir", join(dir, "f")],
    { encoding: "utf8", env: { ...process.env, HOMEOSTAT_TEST_LOG_FAULTS: "write:1,disk:2" } },
  );
  assert.equal(faulty.status, 2, faulty.stderr);
  assert.match(faulty.stderr, /HOMEOSTAT_TEST_LOG_FAULTS: "disk:2" is not write:N or fsync:N/);
  assert.equal(fs.existsSync(join(dir, "f", "checkpoints")), false);
});

test("live --serve: SIGTERM answers what is queued, checkpoints, exits 0; a second start on the folder is refused", async () => {
  const { config, service } = regressionService("cli-serve-term");
  const child = await startService(["--config", config, "--dir", service]);
  const agent = new Agent({ keepAlive: true });
  const rows = Array.from({ length: 40 }, (_, i) => ({ x: [i, i % 7], y: i / 3 }));
  // SIGTERM as soon as the first answer comes, with the other requests in flight: each one the service
  // took is answered and learnt before it exits; one it did not take fails to connect or is refused, learnt nowhere.
  const exit = new Promise<number | null>((r) => child.proc.once("exit", (code) => r(code)));
  let termed = false;
  const statuses = await Promise.all(
    rows.map((r) =>
      send(agent, `${child.url}/observe`, r).then(
        (a) => {
          if (!termed) child.proc.kill("SIGTERM");
          termed = true;
          return a.status;
        },
        () => 0,
      ),
    ),
  );
  assert.equal(await exit, 0, child.stderr());
  agent.destroy();
  const ok = statuses.filter((s) => s === 200).length;
  // 503: a request read after SIGTERM, refused (it would miss the last checkpoint).
  assert.ok(
    statuses.every((s) => s === 200 || s === 503 || s === 0),
    `${statuses}`,
  );
  assert.ok(ok >= 1);
  const cks = fs.readdirSync(join(service, "checkpoints")).sort();
  assert.deepEqual(cks, ["0000000000000000", String(ok).padStart(16, "0")]);
  assert.deepEqual(JSON.parse(fs.readFileSync(join(service, "serve.json"), "utf8")), { every: 1000 });
  fs.writeFileSync(config, JSON.stringify({ task: "regression", hidden: [5], seed: 2 }));
  const other = cli(["--resume", service, "--serve", "--config", config]);
  assert.equal(other.status, 2);
  assert.match(other.stderr, /made with another config \(hidden: \[4\] there, \[5\] here\)/);
  const again = cli(["--config", config, "--serve", "--dir", service]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /holds a learner already; continue it with --resume/);
});

test("live --serve --resume on other kernels: said on standard error, a checkpoint at once, and replay rebuilds the rows after it bit for bit", async () => {
  const { dir, config, service } = regressionService("cli-serve-kernels");
  const rows = Array.from({ length: 50 }, (_, i) => ({ x: [i % 5, (i * 7) % 11], y: i / 5 }));
  const life = async (args: string[], part: typeof rows) => {
    const child = await startService(args);
    const agent = new Agent({ keepAlive: true });
    for (const r of part) assert.equal((await send(agent, `${child.url}/observe`, r)).status, 200);
    agent.destroy();
    const exit = new Promise<number | null>((r) => child.proc.once("exit", (code) => r(code)));
    child.proc.kill("SIGTERM");
    assert.equal(await exit, 0, child.stderr());
    return child.stderr();
  };
  const named = (seq: number) => openLearner(join(service, "checkpoints", seqName(seq))).backend;
  assert.equal(await life(["--config", config, "--dir", service, "--backend", "js"], rows.slice(0, 30)), "");
  assert.equal(named(30), "js");
  const said = await life(["--resume", service, "--backend", "wasm"], rows.slice(30));
  assert.match(said, /warning: the learner ran on the js kernels and continues on wasm/);
  // The checkpoint taken at the resume names the kernels rows 31–50 were learnt on.
  assert.equal(named(30), "wasm");
  assert.equal(named(50), "wasm");
  const replayed = spawnSync(
    process.execPath,
    [BIN, "replay", "--dir", service, "--from", "30", "--out", join(dir, "r"), "--json"],
    { encoding: "utf8" },
  );
  assert.equal(replayed.status, 0, replayed.stderr);
  assert.equal(JSON.parse(replayed.stdout.trim().split("\n").at(-1)!).replay.backend, "wasm");
  const [a, b] = await Promise.all([
    loadLearner(join(dir, "r")),
    loadLearner(join(service, "checkpoints", seqName(50))),
  ]);
  assert.deepEqual({ ...a.getState(), seconds: 0 }, { ...b.getState(), seconds: 0 });
});
