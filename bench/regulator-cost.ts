/**
 * What each homeostatic regulator costs, and a fingerprint of what it does, on the two networks issue 19's
 * remedies run on: the plasticity protocol's (784-100-100-100-10, SGD, batch 16, permuted digits) and a
 * learner at batch 1 (784-256-256-10, ten labels known, the digit stream).
 *
 *     node dist/bench/regulator-cost.js bits [steps] [rows]    (default 2000 steps, 500 rows)
 *     node dist/bench/regulator-cost.js speed [steps] [rows]   (default 400 steps, 300 rows)
 *
 * `bits` prints, per regulator, a SHA-256 over every parameter after `steps` protocol steps (js backend)
 * and after `rows` learner rows (wasm, one thread): a speed change must leave every hash as it was.
 * `speed` prints steps/s and rows/s per regulator (the first 50 untimed) with the load average; run a
 * before and an after build alternately to compare. A fifth argument picks regulators: `ip+l2Init,none`.
 */
import { createHash, type Hash } from "node:crypto";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { useBackend } from "../src/backend/index.js";
import { runContinual } from "../src/continual/index.js";
import { DigitStream } from "../src/data/digit-stream.js";
import { Learner } from "../src/learner/index.js";
import type { Observer, TrainingControl } from "../src/train/events.js";
import { plasticityProtocol } from "./plasticity-protocol.js";

/** The regulators measured, as a run config names them (none: the plain baseline). */
export const REGULATORS: Record<string, unknown[]> = {
  none: [],
  intrinsicPlasticity: ["intrinsicPlasticity"],
  l2Init: ["l2Init"],
  "ip+l2Init": ["intrinsicPlasticity", "l2Init"],
  continualBackprop: ["continualBackprop"],
  shrinkPerturb: ["shrinkPerturb"],
  redo: ["redo"],
};

const PER_STEP = 16;

function feedParameters(h: Hash, parameters: readonly (readonly [string, { data: ArrayLike<number> }])[]) {
  for (const [name, t] of parameters) {
    const d = t.data as Float32Array;
    h.update(`${name}:${d.byteLength}:`);
    h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
}

/** Steps not timed at the start of a run: they pay for compiling and for the first allocations. */
const WARMUP = 50;

/**
 * The protocol with `regs` for `steps` steps (one task), on the default backend: the weights' hash when it
 * ends, and the steps per second after the first WARMUP.
 */
function protocolRun(regs: unknown[], steps: number): { hash: string; perS: number } {
  const h = createHash("sha256");
  let [step, t0, t1] = [0, 0, 0];
  const hashAtEnd: Observer = {
    onBatchEnd: () => {
      if (++step === WARMUP) t0 = performance.now();
    },
    onTrainEnd: (_history, control: TrainingControl) => {
      t1 = performance.now();
      feedParameters(h, control.parameters);
    },
  };
  const cfg = plasticityProtocol({ tasks: 1, per: steps * PER_STEP, seed: 1, homeostasis: regs });
  useBackend("js");
  runContinual(cfg, { observers: [hashAtEnd] });
  return { hash: h.digest("hex").slice(0, 16), perS: ((step - WARMUP) * 1000) / (t1 - t0) };
}

const learnerRows = (rows: number) => {
  const stream = new DigitStream({ seed: 1 });
  const tenDigits = stream.schedule.findIndex((p) => p.concept === "plain-0-9");
  return stream.phaseSample(tenDigits, rows, 1);
};

/**
 * A batch-1 learner with `regs` over `rows`, on wasm with one thread as bench/learner-speed.ts: the weights'
 * hash after, and the rows per second after the first WARMUP.
 */
function learnerRun(
  regs: unknown[],
  rows: readonly { x: Float32Array; y: number }[],
): { hash: string; perS: number } {
  useBackend("wasm", { threads: 1 });
  const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const l = Learner.create({
    task: "classification",
    inputs: 784,
    hidden: [256, 256],
    seed: 1,
    labels,
    homeostasis: regs as string[],
  });
  for (const r of rows.slice(0, WARMUP)) l.observe(r.x, r.y);
  const t0 = performance.now();
  for (const r of rows.slice(WARMUP)) l.observe(r.x, r.y);
  const perS = ((rows.length - WARMUP) * 1000) / (performance.now() - t0);
  const h = createHash("sha256");
  feedParameters(h, l.network!.parameters());
  return { hash: h.digest("hex").slice(0, 16), perS };
}

const load = () => loadavg().map((l) => Number(l.toFixed(2)));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const mode = process.argv[2] ?? "bits";
  const steps = Number(process.argv[3] ?? (mode === "bits" ? 2000 : 400));
  const rows = learnerRows(Number(process.argv[4] ?? (mode === "bits" ? 500 : 300)));
  const only = process.argv[5]?.split(",");
  for (const [name, regs] of Object.entries(REGULATORS)) {
    if (only && !only.includes(name)) continue;
    const loadBefore = load();
    const [p, l] = [protocolRun(regs, steps), learnerRun(regs, rows)];
    if (mode === "bits") console.log(JSON.stringify({ name, protocol: p.hash, learner: l.hash }));
    else {
      const [stepsPerS, rowsPerS] = [Math.round(p.perS), Math.round(l.perS)];
      console.log(
        JSON.stringify({ name, protocolStepsPerS: stepsPerS, learnerRowsPerS: rowsPerS, load: loadBefore }),
      );
    }
  }
}
