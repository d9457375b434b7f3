/**
 * The crash drill of the learning service: `homeostat live --serve` as a child process, fed rows over
 * one keep-alive connection, killed with SIGKILL at random moments and restarted with `--resume`; the
 * client keeps the rows the service acknowledged. With `fullDisk`, each life's log also meets a full disk
 * (HOMEOSTAT_TEST_LOG_FAULTS: one write and one fsync fail with ENOSPC at random moments). Used by test/serve-crash.test.ts (a few kills) and
 * bench/serve-crash.ts (many).
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { Agent, request } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../../src/tensor/rng.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "cli", "bin.js");

export interface DrillRow {
  x: number[];
  y: string;
}

export interface DrillResult {
  /** Rows the service acknowledged, in order (with any in-flight request it turned out to keep). */
  acked: DrillRow[];
  /** Rows learnt as /vitals reported after each restart, and what the client expected then. */
  checks: { rows: number; acked: number; inFlight: number; kept: boolean }[];
  /** Restarts that found (and cut) a torn tail we wrote into the log. */
  tornCut: number;
  /** Requests answered 503 because the (injected) full disk failed their log write, and their rows. */
  diskFull: { requests: number; rows: number };
  /** /vitals `rows` read just after each such answer, and the rows acknowledged then (they must agree). */
  fullChecks: { rows: number; acked: number }[];
  /** Full-disk answers followed by a 200 in the same life: the service went on once the disk had room. */
  servedAfterFull: number;
  /** The exit code of the last, SIGTERM-ed service. */
  exitCode: number | null;
  warnings: string;
}

interface Child {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Start the service; resolves with its URL once it prints the line that names it. */
export function startService(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(process.execPath, [BIN, "live", ...args, "--serve", "--port", "0", "--quiet"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let err = "";
  proc.stderr!.on("data", (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve({ proc, url: JSON.parse(line).serving, stderr: () => err });
    });
    proc.once("exit", (code) => reject(new Error(`the service exited (${code}) before serving: ${err}`)));
  });
}

/** POST or GET over `agent`; rejects when the connection breaks (the service was killed). */
export function send(
  agent: Agent,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: () => Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        agent,
        method: text === undefined ? "GET" : "POST",
        headers: text === undefined ? {} : { "Content-Type": "application/json" },
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          data += d;
        });
        res.on("end", () => resolve({ status: res.statusCode!, json: () => JSON.parse(data) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

function rowOf(r: Rng): DrillRow {
  const x = [r.normal(), r.normal(), r.next() * 4];
  return { x, y: x[0] + 0.5 * x[1] > x[2] - 2 ? "up" : "down" };
}

const exited = (proc: ChildProcess): Promise<number | null> =>
  proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve(proc.exitCode)
    : new Promise((r) => proc.once("exit", (code) => r(code)));

/**
 * Feed a service in `dir` (made from `config`), kill it `kills` times at random moments (a random delay
 * of `killMs` at most, while requests of 1 to 16 rows go one after another), restart it with --resume
 * each time; then stop it with SIGTERM. Every `tornEvery`-th restart first appends a torn record to the
 * log, as a power cut in the middle of a write would leave it. With `fullDisk`, each life's n-th log
 * write and m-th fsync fail (n, m drawn from 1 … `fullDisk`): the request whose commit failed must be
 * answered 503 and not learnt (checked at once in /vitals), and the next ones served.
 */
export async function crashDrill(o: {
  config: string;
  dir: string;
  kills: number;
  seed: number;
  killMs: number;
  tornEvery?: number;
  fullDisk?: number;
}): Promise<DrillResult> {
  const r = new Rng(o.seed);
  const result: DrillResult = {
    acked: [],
    checks: [],
    tornCut: 0,
    diskFull: { requests: 0, rows: 0 },
    fullChecks: [],
    servedAfterFull: 0,
    exitCode: null,
    warnings: "",
  };
  const faults = (): Record<string, string> => {
    if (!o.fullDisk) return {};
    const at = () => 1 + Math.floor(r.next() * o.fullDisk!);
    return { HOMEOSTAT_TEST_LOG_FAULTS: `write:${at()},fsync:${at()}` };
  };
  let child = await startService(["--config", o.config, "--dir", o.dir], faults());
  for (let life = 0; life <= o.kills; life++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const last = life === o.kills;
    let killed = false;
    const timer = last
      ? null
      : setTimeout(
          () => {
            killed = true;
            child.proc.kill("SIGKILL");
          },
          5 + r.next() * o.killMs,
        );
    let inFlight: DrillRow[] = [];
    let full = false;
    // The last life: a few requests, then SIGTERM.
    for (let n = 0; last ? n < 20 : !killed; n++) {
      const rows = Array.from({ length: 1 + Math.floor(r.next() * 16) }, () => rowOf(r));
      inFlight = rows;
      try {
        const res = await send(agent, `${child.url}/observe`, rows);
        inFlight = [];
        if (res.status === 503 && /ENOSPC/.test(String(res.json().error))) {
          result.diskFull.requests++;
          result.diskFull.rows += rows.length;
          full = true;
          const now = (await send(agent, `${child.url}/vitals`)).json().rows as number;
          result.fullChecks.push({ rows: now, acked: result.acked.length });
          continue;
        }
        if (res.status !== 200)
          throw new Error(`observe answered ${res.status}: ${JSON.stringify(res.json())}`);
        result.acked.push(...rows);
        if (full) result.servedAfterFull++;
        full = false;
      } catch (e) {
        if (!killed) throw e;
      }
    }
    agent.destroy();
    if (timer) clearTimeout(timer);
    result.warnings += child.stderr();
    if (last) {
      child.proc.kill("SIGTERM");
      result.exitCode = await exited(child.proc);
      result.warnings += child.stderr();
      break;
    }
    await exited(child.proc);
    if (o.tornEvery && (life + 1) % o.tornEvery === 0) {
      const wal = join(o.dir, "wal");
      const segment = join(wal, fs.readdirSync(wal).sort().at(-1)!);
      // A record header promising 200 bytes, and 11 of them.
      fs.appendFileSync(segment, Uint8Array.from([200, 0, 0, 0, 1, 2, 3, 4, ...Array(11).fill(7)]));
    }
    child = await startService(["--resume", o.dir], faults());
    const agent2 = new Agent({ keepAlive: true, maxSockets: 1 });
    const rows = (await send(agent2, `${child.url}/vitals`)).json().rows as number;
    agent2.destroy();
    // The request in flight at the kill was committed whole or not at all: then it is acknowledged too.
    const kept = inFlight.length > 0 && rows === result.acked.length + inFlight.length;
    result.checks.push({ rows, acked: result.acked.length, inFlight: inFlight.length, kept });
    if (kept) result.acked.push(...inFlight);
  }
  result.tornCut = (result.warnings.match(/damaged tail/g) ?? []).length;
  return result;
}
