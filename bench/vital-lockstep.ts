/**
 * The vitals loop's cost on the plasticity protocol, side by side in lockstep: two threads run the same
 * protocol, one without the loop and one with it, and take turns step by step (a shared baton: one runs a
 * step while the other waits, blocked). Each side's time is summed over the stretches in which it held
 * the baton, so both meet the machine's load within a millisecond of each other: on a shared machine,
 * where runs of identical work minutes apart differ by ±20%, the difference the loop makes stays readable.
 * A stretch is one step with everything the run does before the next (the loop's hooks, the runner's
 * evaluation at a task's end); the figure is the ratio of the sums, with each task's ratio beside it.
 *
 *   node dist/bench/vital-lockstep.js [--tasks 20] [--per 4000] [--repeats 3] [--loop watch|plasticity|both]
 *
 * Time is each thread's own CPU time (Linux's /proc/thread-self/schedstat; Node 20 has no per-thread CPU
 * clock), read at each task's end: wall time on a loaded machine is mostly waiting for a core. Two models
 * alternating share the core's caches, so each step costs a little more than alone, on both sides alike.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { useBackend } from "../src/backend/index.js";
import { runContinual } from "../src/continual/index.js";
import { vitals } from "../src/homeostasis/index.js";
import type { Observer } from "../src/train/events.js";
import { plasticityProtocol } from "./plasticity-protocol.js";

/** Without the loop, or the loop watching (remedies withheld), as it runs, or with a forgetting budget. */
export type LockstepSide = "off" | "watch" | "plasticity" | "both" | "asks" | "bare";

interface SideJob {
  side: LockstepSide;
  /** 0 or 1: whose turn the baton's value names. */
  me: number;
  tasks: number;
  per: number;
  baton: SharedArrayBuffer;
}

/** Steps per task of the protocol (batch 16). */
const stepsPer = (per: number): number => Math.ceil(per / 16);

/** This thread's time on a CPU, in ms (Linux's per-thread scheduler clock, in ns). */
const threadCpuMs = (): number =>
  Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;

/**
 * An observer that holds the baton for one step at a time: at each step's end it hands the baton over
 * and waits, blocked, for it back, so the thread is on a CPU only while it holds it; its CPU time is
 * booked by task. Slot 0 of `turn` names whose turn it is, slot 1 counts the sides done (a finished
 * side no longer waits, so the other runs on alone).
 */
function batonObserver(
  turn: Int32Array,
  me: number,
  steps: number,
  perTask: number,
  booked: number[],
): Observer {
  let since = 0;
  let step = 0;
  const take = (): void => {
    while (Atomics.load(turn, 0) !== me && Atomics.load(turn, 1) === 0) Atomics.wait(turn, 0, 1 - me, 50);
  };
  return {
    // Absent, it would mean "yes": every step would copy its gradients, and the loop's monitor read them.
    wantsGradients: () => false,
    onTrainBegin() {
      if (step > 0) return;
      take();
      since = threadCpuMs();
    },
    onBatchEnd() {
      step++;
      if (step % perTask === 0 || step === steps) {
        const now = threadCpuMs();
        booked.push(now - since);
        since = now;
      }
      Atomics.store(turn, 0, 1 - me);
      Atomics.notify(turn, 0);
      if (step === steps) Atomics.add(turn, 1, 1);
      else take();
    },
  };
}

/** An observer that asks for the activations at every `every`-th step, as the loop's checks do, and reads nothing. */
function activationsAsker(every: number): Observer {
  let step = 0;
  return {
    wantsGradients: () => false,
    get wantsActivations() {
      return (step + 1) % every === 0;
    },
    onBatchEnd() {
      step++;
    },
  };
}

function runSide(job: SideJob): number[] {
  useBackend("auto", { threads: 1 });
  const turn = new Int32Array(job.baton);
  const booked: number[] = [];
  const per = stepsPer(job.per);
  const baton = batonObserver(turn, job.me, job.tasks * per, per, booked);
  const loop =
    job.side === "off"
      ? []
      : job.side === "asks"
        ? [activationsAsker(20)]
        : job.side === "bare"
          ? [vitals({ forgettingBudget: 0, plasticity: false, seed: 1 })]
          : [
              vitals(
                { forgettingBudget: job.side === "both" ? 0.1 : 0, seed: 1 },
                job.side === "watch" ? [] : undefined,
              ),
            ];
  runContinual(plasticityProtocol({ tasks: job.tasks, per: job.per, seed: 1 }), {
    observers: [...loop, baton],
  });
  return booked;
}

if (!isMainThread && (workerData as { lockstep?: boolean })?.lockstep)
  parentPort!.postMessage(runSide((workerData as { job: SideJob }).job));

/** One lockstep run: each side's milliseconds per task (without the loop, with it). */
export async function lockstepRun(
  on: LockstepSide,
  o: { tasks: number; per: number },
  first: 0 | 1 = 0,
): Promise<{ off: number[]; on: number[] }> {
  const baton = new SharedArrayBuffer(8);
  new Int32Array(baton)[0] = first;
  const side = (s: LockstepSide, me: number) =>
    new Promise<number[]>((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), {
        workerData: { lockstep: true, job: { side: s, me, tasks: o.tasks, per: o.per, baton } },
      });
      w.once("message", resolve);
      w.once("error", reject);
    });
  const [off, withLoop] = await Promise.all([side("off", 0), side(on, 1)]);
  return { off, on: withLoop };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const [lo, hi] = [Math.floor(at), Math.ceil(at)];
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
};
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const pct = (r: number): string => `${((r - 1) * 100).toFixed(1)}%`;

/**
 * `repeats` lockstep runs (the side that starts alternating) as a summary: the overhead of each run (ratio
 * of the sums), and the median and interquartile range of the per-task ratios over all runs.
 *
 * @example
 * const s = await lockstepOverhead("watch", { tasks: 20, per: 4000, repeats: 3 });
 * s.runs; // [1.031, 1.028, 1.035]: the loop watching costs about 3%
 */
export async function lockstepOverhead(
  on: LockstepSide,
  o: { tasks: number; per: number; repeats: number },
): Promise<{ runs: number[]; tasks: number[]; offSeconds: number; onSeconds: number }> {
  const runs: number[] = [];
  const tasks: number[] = [];
  let [offMs, onMs] = [0, 0];
  for (let r = 0; r < o.repeats; r++) {
    const got = await lockstepRun(on, o, (r % 2) as 0 | 1);
    runs.push(sum(got.on) / sum(got.off));
    got.off.forEach((t, k) => tasks.push(got.on[k] / t));
    offMs += sum(got.off);
    onMs += sum(got.on);
  }
  return { runs, tasks, offSeconds: offMs / 1000 / o.repeats, onSeconds: onMs / 1000 / o.repeats };
}

/** The summary as a table row's cells after its name. */
export function lockstepCells(s: Awaited<ReturnType<typeof lockstepOverhead>>): string {
  const all = s.onSeconds / s.offSeconds;
  return `${s.offSeconds.toFixed(2)} | ${s.onSeconds.toFixed(2)} | ${pct(all)} | ${pct(quantile(s.tasks, 0.5))} (${pct(quantile(s.tasks, 0.25))} to ${pct(quantile(s.tasks, 0.75))}) | ${s.runs.map(pct).join(", ")}`;
}

if (isMainThread && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  const o = {
    tasks: Number(get("tasks", "20")),
    per: Number(get("per", "4000")),
    repeats: Number(get("repeats", "3")),
  };
  for (const side of get("loop", "watch").split(",") as LockstepSide[]) {
    const s = await lockstepOverhead(side, o);
    console.log(`${side} | ${lockstepCells(s)}`);
  }
}
