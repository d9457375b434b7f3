/**
 * The memory figure of the long-life benchmark, as issue 17 asks it: one learner over the stream. The
 * benchmark's own process holds every variant's learner at once, so its RSS says little about one; this
 * runs the learner soak (bench/learner-soak.ts: the default learner alone on the digit stream, memory
 * sampled after a full collection) in a child process and reads its samples back.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface SoakSample {
  row: number;
  heapMiB: number;
  rssMiB: number;
  arrayBuffersMiB: number;
  wasmMiB: number | null;
  learnerMiB: number;
  replay: number;
}

export interface SoakRun {
  rows: number;
  seconds: number;
  samples: SoakSample[];
  replay: { size: number; capacity: number };
  /** The command that measured it, to quote beside the figures. */
  command: string;
}

/**
 * The soak's figures over `rows` rows of the digit stream, measured in a child process of its own
 * (`node --expose-gc dist/bench/learner-soak.js --rows N --json`).
 *
 * @example
 * const soak = soakMemory(100_000); // soak.samples: heap and RSS at every tenth of the run
 */
export function soakMemory(rows: number): SoakRun {
  const script = fileURLToPath(new URL("./learner-soak.js", import.meta.url));
  const args = ["--expose-gc", script, "--rows", String(rows), "--json"];
  const out = execFileSync(process.execPath, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    maxBuffer: 16 * 2 ** 20,
  });
  const last = out.trim().split("\n").at(-1) ?? "";
  const { soak } = JSON.parse(last) as { soak: Omit<SoakRun, "command"> };
  return { ...soak, command: `node --expose-gc dist/bench/learner-soak.js --rows ${rows}` };
}

/**
 * Growth of heap and RSS from the first sample at or after a tenth of the run (the warm-up, as
 * bench/soak.ts) to the last, and whether the replay memory kept its bound at every sample.
 *
 * @example
 * soakGrowth(soak); // { from: 10000, to: 100000, rss: 0.012, heap: 0.004, withinBound: true }
 */
export function soakGrowth(soak: SoakRun): {
  from: number;
  to: number;
  rss: number | null;
  heap: number | null;
  withinBound: boolean;
} {
  const warm = soak.samples.find((s) => s.row >= soak.rows / 10);
  const last = soak.samples.at(-1);
  const grown = warm && last && last !== warm;
  return {
    from: warm?.row ?? 0,
    to: last?.row ?? 0,
    rss: grown ? last.rssMiB / warm.rssMiB - 1 : null,
    heap: grown ? last.heapMiB / warm.heapMiB - 1 : null,
    withinBound: soak.samples.every((s) => s.replay <= soak.replay.capacity),
  };
}
