/**
 * The speed figure of the long-life benchmark: `observe` at batch 1 on 784-256-256-10, with the default
 * protections and with none, against PyTorch's plain online SGD step on the same network in the same run
 * (bench/online-peer.ts), each side on one thread and on two: the figure is the best of each side.
 * PyTorch's online Adam step (the learner's optimiser) runs beside it, for the same work compared.
 */
import { backend, useBackend } from "../src/backend/index.js";
import { DigitStream } from "../src/data/digit-stream.js";
import { Learner, type LearnerState } from "../src/learner/index.js";
import { type OnlinePeerResult, torchOnlineSamplesPerSecond } from "./online-peer.js";
import { NAIVE } from "./live-bench-variants.js";

/** The default learner's config beyond its task and shape (one object: the saved states are keyed by it). */
const DEFAULTS = {};

/** The contestants on one thread count (Homeostat's on the wasm backend, PyTorch's own). */
export interface SpeedAtThreads {
  threads: number;
  defaultRowsPerSecond: number;
  naiveRowsPerSecond: number;
  /** PyTorch's online SGD step (the figure's peer) and its online Adam step. */
  torch: OnlinePeerResult;
  torchAdam: OnlinePeerResult;
}

export interface SpeedFigure {
  hidden: number[];
  steps: number;
  /** The best of `byThreads` for each contestant (its `torch` is the fastest PyTorch result). */
  defaultRowsPerSecond: number;
  naiveRowsPerSecond: number;
  torch: OnlinePeerResult;
  torchAdam: OnlinePeerResult;
  byThreads: SpeedAtThreads[];
  /** Rows learnt before the warm-up (0: new learners). */
  learnt: number;
}

/**
 * Rows per second of `observe` (after a 200-row warm-up, and `learnt` rows before it) for the default and the naive learner, and
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
  /**
   * Rows each learner has learnt before the warm-up and the timed rows (0: a new learner). A long-lived
   * learner is past its first ~17,000 steps, where Adam's bias corrections still cost a division per
   * weight, and its memory is full: 20,000 measures that steady state (each round restores the learner
   * saved after them).
   */
  learnt?: number;
}): Promise<SpeedFigure> {
  // Rows of the phase with all ten digits, so the head is as wide as PyTorch's from the start.
  const stream = new DigitStream({ seed: o.seed });
  const tenDigits = stream.schedule.findIndex((p) => p.concept === "plain-0-9");
  const learnt = o.learnt ?? 0;
  const all = stream.phaseSample(tenDigits, learnt + o.steps + 200, o.seed);
  const rows = all.slice(learnt);
  const wasm = backend().name === "wasm";
  const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const create = (extra: object) =>
    Learner.create({ task: "classification", inputs: 784, hidden: o.hidden, seed: o.seed, labels, ...extra });
  const saved = new Map<object, LearnerState>();
  const fresh = (extra: object): Learner => {
    if (learnt === 0) return create(extra);
    if (!saved.has(extra)) {
      const l = create(extra);
      for (const r of all.slice(0, learnt)) l.observe(r.x, r.y);
      saved.set(extra, l.getState());
    }
    return Learner.fromState(saved.get(extra)!);
  };
  const rate = (threads: number, extra: object) => {
    if (wasm) useBackend("wasm", { threads });
    else if (threads > 1) return null;
    const l = fresh(extra);
    for (const r of rows.slice(0, 200)) l.observe(r.x, r.y);
    const timed = rows.slice(200);
    const started = performance.now();
    for (const r of timed) l.observe(r.x, r.y);
    return timed.length / ((performance.now() - started) / 1000);
  };
  // Three rounds, the contestants in turn, and the median of each: a machine shared with other work
  // slows whoever runs during a busy spell, and interleaving spreads that over all of them.
  const threads = o.threads ?? [1, 2];
  const rounds: Round[][] = [];
  for (let k = 0; k < 3; k++) {
    const round = [];
    for (const th of threads) {
      const d = rate(th, DEFAULTS);
      const n = rate(th, NAIVE);
      const peer = { steps: o.steps, hidden: o.hidden, seed: o.seed, threads: th };
      const t = await torchOnlineSamplesPerSecond(peer);
      const a = await torchOnlineSamplesPerSecond({ ...peer, optimizer: "adam" });
      round.push({ d, n, t, a });
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
  const fastest = (peers: OnlinePeerResult[]) =>
    peers.reduce((a, b) => ((b.samplesPerSecond ?? -1) > (a.samplesPerSecond ?? -1) ? b : a));
  return {
    hidden: o.hidden,
    steps: o.steps,
    defaultRowsPerSecond: best("defaultRowsPerSecond"),
    naiveRowsPerSecond: best("naiveRowsPerSecond"),
    torch: fastest(byThreads.map((b) => b.torch)),
    torchAdam: fastest(byThreads.map((b) => b.torchAdam)),
    byThreads,
    learnt,
  };
}

/** One round on one thread count: the default and naive learners' rates, PyTorch's SGD and Adam steps. */
interface Round {
  d: number | null;
  n: number | null;
  t: OnlinePeerResult;
  a: OnlinePeerResult;
}

const median = (xs: (number | null)[]) =>
  xs.includes(null) ? 0 : [...(xs as number[])].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The medians of one thread count's rounds (0 rows/s where Homeostat did not run on it). */
function atThreads(threads: number, rounds: Round[]): SpeedAtThreads {
  return {
    threads,
    defaultRowsPerSecond: median(rounds.map((r) => r.d)),
    naiveRowsPerSecond: median(rounds.map((r) => r.n)),
    torch: medianPeer(rounds.map((r) => r.t)),
    torchAdam: medianPeer(rounds.map((r) => r.a)),
  };
}

/** A peer's median rate over the rounds, or the first round's reason where any round failed. */
function medianPeer(peers: OnlinePeerResult[]): OnlinePeerResult {
  const ok = peers.filter((t) => t.samplesPerSecond !== null);
  return ok.length === peers.length
    ? { ...ok[0]!, samplesPerSecond: median(ok.map((t) => t.samplesPerSecond)) }
    : peers[0]!;
}
