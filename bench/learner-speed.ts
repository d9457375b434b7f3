/**
 * The long-life benchmark's speed figure alone (bench/live-bench-speed.ts: default and naive learner
 * against PyTorch's online SGD step, each on 1 and 2 threads), a few minutes:
 *
 *     node dist/bench/learner-speed.js [steps] [learnt]   (default 3000 timed rows, 0 learnt before)
 *
 * `learnt` rows before the timed ones measure a long-lived learner (20000: past Adam's bias-correction
 * phase, memory full) instead of a new one.
 *
 * Prints the figure as one JSON line, with the load average before and after beside it.
 */
import { loadavg } from "node:os";
import { useBackend } from "../src/backend/index.js";
import { measureSpeed } from "./live-bench-speed.js";

const load = () => loadavg().map((l) => Number(l.toFixed(2)));
const steps = Number(process.argv[2] ?? 3000);
const learnt = Number(process.argv[3] ?? 0);
useBackend("wasm", { threads: 1 }); // as bench/live-bench.ts
const loadBefore = load();
const speed = await measureSpeed({ steps, hidden: [256, 256], seed: 1, learnt });
console.log(JSON.stringify({ ...speed, loadBefore, loadAfter: load() }));
