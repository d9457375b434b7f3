/**
 * A fingerprint of what a default learner does over 2,000 rows, to show a speed change left every bit as
 * it was: a SHA-256 over every `observe` answer, the weights, the optimiser state and `getState()` (less
 * its wall-clock `seconds`), for two learners — 784-256-256-10 with the ten labels known (the speed
 * figure's network) and `{ task, seed }` alone on the digit stream's first rows (the head grows).
 *
 *     node dist/bench/learner-bits.js [js|wasm1|wasm2 ...]   (default: all three)
 *
 * Prints one line per backend; the hashes must match across backends' runs before and after a change
 * (js and wasm differ from each other: their float arithmetic does).
 */
import { createHash, type Hash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { useBackend } from "../src/backend/index.js";
import { DigitStream } from "../src/data/digit-stream.js";
import { Learner } from "../src/learner/index.js";

const ROWS = 2000;

/** Feed `v` into the hash: typed arrays by their bytes, numbers as float64, objects key by key. */
function feed(h: Hash, v: unknown): void {
  if (ArrayBuffer.isView(v)) {
    h.update(`${v.constructor.name}:${v.byteLength}:`);
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else if (Array.isArray(v)) {
    h.update(`[${v.length}`);
    for (const x of v) feed(h, x);
    h.update("]");
  } else if (v !== null && typeof v === "object") {
    h.update("{");
    for (const [k, x] of Object.entries(v)) {
      if (k === "seconds") continue; // wall-clock time
      h.update(`${k}:`);
      feed(h, x);
    }
    h.update("}");
  } else if (typeof v === "number") {
    h.update(new Uint8Array(Float64Array.of(v).buffer));
  } else h.update(`${typeof v}:${String(v)};`);
}

/** The fingerprint of `learner` observing `rows`: answers, weights, optimiser state, state. */
function fingerprint(learner: Learner, rows: readonly { x: Float32Array; y: number }[]): string {
  const h = createHash("sha256");
  for (const r of rows) feed(h, learner.observe(r.x, r.y));
  for (const [name, t] of learner.network!.parameters()) feed(h, [name, t.data]);
  feed(h, learner.optimizerState);
  feed(h, learner.getState());
  return h.digest("hex").slice(0, 16);
}

/** The two learners' fingerprints on the active backend. */
export function learnerBits(): { bench: string; stream: string } {
  const stream = new DigitStream({ seed: 1 });
  const tenDigits = stream.schedule.findIndex((p) => p.concept === "plain-0-9");
  const rows = stream.phaseSample(tenDigits, ROWS, 1);
  const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const bench = Learner.create({ task: "classification", inputs: 784, hidden: [256, 256], seed: 1, labels });
  const first = [...new DigitStream({ seed: 1, scale: 0.02 })].slice(0, ROWS).filter((r) => !r.fault);
  const grown = Learner.create({ task: "classification", seed: 1 });
  return { bench: fingerprint(bench, rows), stream: fingerprint(grown, first) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const which = process.argv.length > 2 ? process.argv.slice(2) : ["js", "wasm1", "wasm2"];
  for (const b of which) {
    if (b === "js") useBackend("js");
    else useBackend("wasm", { threads: Number(b.slice(4)) });
    console.log(b, JSON.stringify(learnerBits()));
  }
}
