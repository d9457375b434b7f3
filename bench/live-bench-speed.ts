/**
 * The speed figure of the long-life benchmark: `observe` at batch 1 on 784-256-256-10, with the default
 * protections and with none, against PyTorch's plain online SGD step on the same network in the same run
 * (bench/online-peer.ts).
 */
import { DigitStream } from "../src/data/digit-stream.js";
import { Learner } from "../src/learner/index.js";
import { type OnlinePeerResult, torchOnlineSamplesPerSecond } from "./online-peer.js";
import { NAIVE } from "./live-bench-variants.js";

export interface SpeedFigure {
  hidden: number[];
  steps: number;
  defaultRowsPerSecond: number;
  naiveRowsPerSecond: number;
  torch: OnlinePeerResult;
}

/**
 * Rows per second of `observe` (after a 200-row warm-up) for the default and the naive learner, and
 * PyTorch's online SGD steps per second, all on `hidden`: the median of three interleaved rounds.
 *
 * @example
 * const speed = await measureSpeed({ steps: 3000, hidden: [256, 256], seed: 1 });
 */
export async function measureSpeed(o: {
  steps: number;
  hidden: number[];
  seed: number;
}): Promise<SpeedFigure> {
  // Rows of the phase with all ten digits, so the head is as wide as PyTorch's from the start.
  const stream = new DigitStream({ seed: o.seed });
  const tenDigits = stream.schedule.findIndex((p) => p.concept === "plain-0-9");
  const rows = stream.phaseSample(tenDigits, o.steps + 200, o.seed);
  const rate = (extra: object) => {
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
  // slows whoever runs during a busy spell, and interleaving spreads that over all three.
  const rounds: { d: number; n: number; t: OnlinePeerResult }[] = [];
  for (let k = 0; k < 3; k++) {
    const d = rate({});
    const n = rate(NAIVE);
    const t = await torchOnlineSamplesPerSecond({ steps: o.steps, hidden: o.hidden, seed: o.seed });
    rounds.push({ d, n, t });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const defaultRowsPerSecond = median(rounds.map((r) => r.d));
  const naiveRowsPerSecond = median(rounds.map((r) => r.n));
  const peers = rounds.map((r) => r.t);
  const ok = peers.filter((t) => t.samplesPerSecond !== null);
  const torch =
    ok.length === peers.length
      ? { ...ok[0], samplesPerSecond: median(ok.map((t) => t.samplesPerSecond as number)) }
      : peers[0];
  return { hidden: o.hidden, steps: o.steps, defaultRowsPerSecond, naiveRowsPerSecond, torch };
}
