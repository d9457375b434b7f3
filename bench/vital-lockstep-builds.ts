/**
 * Two builds of the vitals loop against each other in lockstep (bench/vital-lockstep.ts's baton): side 0
 * runs the protocol with build A's loop, side 1 with build B's, both watching; the side that starts
 * alternates. A build is a compiled tree (`dist`, or a copy of it kept from before a change), so a change
 * to the loop is measured against what it replaces in one process, at one load.
 *
 *   node dist/bench/vital-lockstep-builds.js BUILD_A BUILD_B [--tasks 20] [--runs 6] [--loop watch]
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const pct = (r: number): string => `${((r - 1) * 100).toFixed(1)}%`;

/** One side: build `dist`'s lockstep worker, holding the baton as `me`; its CPU ms per task. */
function side(dist: string, me: number, side: string, tasks: number, baton: SharedArrayBuffer) {
  return new Promise<number[]>((done, fail) => {
    const w = new Worker(pathToFileURL(resolve(dist, "bench/vital-lockstep.js")), {
      workerData: { lockstep: true, job: { side, me, tasks, per: 4000, baton } },
    });
    w.once("message", done);
    w.once("error", fail);
  });
}

const argv = process.argv.slice(2);
const get = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const [a, b] = argv;
const [tasks, runs, loop] = [Number(get("tasks", "20")), Number(get("runs", "6")), get("loop", "watch")];
const ratios: number[] = [];
for (let r = 0; r < runs; r++) {
  const baton = new SharedArrayBuffer(8);
  new Int32Array(baton)[0] = r % 2;
  const [ta, tb] = await Promise.all([side(a, 0, loop, tasks, baton), side(b, 1, loop, tasks, baton)]);
  ratios.push(sum(tb) / sum(ta));
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `run ${r + 1}: A ${(sum(ta) / 1000).toFixed(2)} s, B ${(sum(tb) / 1000).toFixed(2)} s, B/A ${pct(ratios[r])}, load ${load}`,
  );
}
const sorted = [...ratios].sort((x, y) => x - y);
console.log(
  `B against A over ${runs} runs: median ${pct(sorted[sorted.length >> 1])}; each ${ratios.map(pct).join(", ")}`,
);
