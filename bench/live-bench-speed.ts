/**
 * The speed figure of the long-life benchmark: `observe` at batch 1 on 784-256-256-10, with the default
 * protections and with none, against PyTorch's plain online SGD step on the same network in the same run
 * (bench/online-peer.ts), each side on one thread and on two: the figure is the best of each side.
 */
import { backend, useBackend } from "../src/backend/index.js";
import { DigitStream } from "../src/data/digit-stream.js";
import { Learner } from "../src/learner/index.js";
import { type OnlinePeerResult, torchOnlineSamplesPerSecond } from "./online-peer.js";
import { NAIVE } from "./live-bench-variants.js";

/** The three contestants on one thread count (Homeostat's on the wasm backend, PyTorch's own). */
export interface SpeedAtThreads {
  threads: number;
  defaultRowsPerSecond: number;
  naiveRowsPerSecond: number;
  torch: OnlinePeerResult;
}

export interface SpeedFigure {
  hidden: number[];
  steps: number;
  /** The best of `byThreads` for each contestant (its `torch` is the fastest PyTorch result). */
  defaultRowsPerSecond: number;
  naiveRowsPerSecond: number;
  torch: OnlinePeerResult;
  byThreads: SpeedAtThreads[];
}

/**
 * Rows per second of `observe` (after a 200-row warm-up) for the default and the naive learner, and
 * PyTorch's online SGD steps per second, all on `hidden`, on 1 and 2 threads (Homeostat's only on 1
 * when the active backend is not wasm): the median of three interleaved rounds for each, and the best
 * thread count of each side. The wasm backend is left on 1 thread.
 *
 * @example
 * const speed = await measureSpeed({ steps: 3000, hidden: [256, 256], seed: 1 });
 */
export async function measureSpeed(o: {
  steps: number;
  hidden: number[];
  seed: number;
  threads?: number[];
}): Promise<SpeedFigure> {
  // Rows of the phase with all ten digits, so the head is as wide as PyTorch's from the start.
  const stream = new DigitStream({ seed: o.seed });
  const tenDigits = stream.schedule.findIndex((p) => p.concept === "plain-0-9");
  const rows = stream.phaseSample(tenDigits, o.steps + 200, o.seed);
  const wasm = backend().name === "wasm";
  const rate = (threads: number, extra: object) => {
    if (wasm) useBackend("wasm", { threads });
    else if (threads > 1) return null;
    const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const l = Learner.create({
      task: "classification",
      inputs: 784,
      hidden: o.hidden,
      seed: o.seed,
      labels,
      ...extra,
    });
    for (const r of rows.slice(0, 200)) l.observe(r.x, r.y);
    const timed = rows.slice(200);
    const started = performance.now();
    for (const r of timed) l.observe(r.x, r.y);
    return timed.length / ((performance.now() - started) / 1000);
  };
  // Three rounds, the contestants in turn, and the median of each: a machine shared with other work
  // slows whoever runs during a busy spell, and interleaving spreads that over all of them.
  const threads = o.threads ?? [1, 2];
  const rounds: { d: number | null; n: number | null; t: OnlinePeerResult }[][] = [];
  for (let k = 0; k < 3; k++) {
    const round = [];
    for (const th of threads) {
      const d = rate(th, {});
      const n = rate(th, NAIVE);
      const t = await torchOnlineSamplesPerSecond({
        steps: o.steps,
        hidden: o.hidden,
        seed: o.seed,
        threads: th,
      });
      round.push({ d, n, t });
    }
    rounds.push(round);
  }
  if (wasm) useBackend("wasm", { threads: 1 });
  const byThreads = threads.map((th, i) =>
    atThreads(
      th,
      rounds.map((r) => r[i]!),
    ),
  );
  const best = (key: "defaultRowsPerSecond" | "naiveRowsPerSecond") =>
    Math.max(...byThreads.map((b) => b[key]).filter((v) => v > 0));
  const peers = byThreads.map((b) => b.torch);
  const torch = peers.reduce((a, b) => ((b.samplesPerSecond ?? -1) > (a.samplesPerSecond ?? -1) ? b : a));
  return {
    hidden: o.hidden,
    steps: o.steps,
    defaultRowsPerSecond: best("defaultRowsPerSecond"),
    naiveRowsPerSecond: best("naiveRowsPerSecond"),
    torch,
    byThreads,
  };
}

/** The medians of one thread count's rounds (0 rows/s where Homeostat did not run on it). */
function atThreads(
  threads: number,
  rounds: { d: number | null; n: number | null; t: OnlinePeerResult }[],
): SpeedAtThreads {
  const median = (xs: (number | null)[]) =>
    xs.includes(null) ? 0 : [...(xs as number[])].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const peers = rounds.map((r) => r.t);
  const ok = peers.filter((t) => t.samplesPerSecond !== null);
  const torch =
    ok.length === peers.length
      ? { ...ok[0]!, samplesPerSecond: median(ok.map((t) => t.samplesPerSecond)) }
      : peers[0]!;
  return {
    threads,
    defaultRowsPerSecond: median(rounds.map((r) => r.d)),
    naiveRowsPerSecond: median(rounds.map((r) => r.n)),
    torch,
  };
}
