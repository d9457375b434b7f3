/**
 * The health check's four sums of squares (the wasm backend's `stepSquares`) on the 784 × 256 layer of
 * the monitor's workloads, this build against another (`--baseline DIR`, that build's `dist` folder) in one
 * process: calls alternate (the order alternating too), each after 32 MB written elsewhere, as the training
 * steps between two checks leave the caches. Prints each build's 10th percentile and median and the median
 * of the paired ratios, with the load average; exits 1 where the two builds' sums differ by more than
 * float64 rounding (1e-12 relative).
 *
 * node dist/bench/step-squares.js --baseline DIR [--rounds 600]
 */
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const rounds = Number(flag("rounds") ?? 600);
const baseline = flag("baseline");
if (!baseline) {
  console.error("step-squares: --baseline DIR (another build's dist folder) is required");
  process.exit(2);
}

interface Backends {
  useBackend(name: string, o: { threads: number }): void;
  backend(): { stepSquares?(w: Float32Array, w0: Float32Array, g: Float32Array, out: Float64Array): void };
  allocFloat32(n: number): Float32Array;
}

/** One build's kernel over its own resident arrays (the same values in both builds). */
async function kernelOf(dist: string): Promise<{ run(): void; out: Float64Array }> {
  const b = (await import(pathToFileURL(resolve(dist, "src/backend/index.js")).href)) as Backends;
  b.useBackend("wasm", { threads: 1 });
  const n = 784 * 256;
  const filled = (f: number) => {
    const a = b.allocFloat32(n);
    for (let i = 0; i < n; i++) a[i] = Math.sin(i * f) * 0.05;
    return a;
  };
  const [w, w0, g] = [filled(0.37), filled(0.41), filled(0.13)];
  const out = new Float64Array(4);
  const kernel = b.backend().stepSquares;
  if (!kernel) throw new Error(`${dist}: the backend has no stepSquares`);
  return { run: () => kernel(w, w0, g, out), out };
}

const before = await kernelOf(baseline);
const after = await kernelOf(resolve(new URL("..", import.meta.url).pathname));
const elsewhere = new Float32Array(8 << 20);
const times = { before: [] as number[], after: [] as number[] };
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? (["before", "after"] as const) : (["after", "before"] as const);
  for (const which of order) {
    elsewhere.fill(r);
    const t0 = performance.now();
    (which === "before" ? before : after).run();
    times[which].push(performance.now() - t0);
  }
  ratios.push(times.after[r]! / times.before[r]!);
}
const quantile = (a: number[], p: number): number => [...a].sort((x, y) => x - y)[Math.floor(a.length * p)]!;
const ms = (a: number[]) => `p10 ${quantile(a, 0.1).toFixed(3)} ms, median ${quantile(a, 0.5).toFixed(3)} ms`;
console.log(`load average ${loadavg()[0].toFixed(1)}, ${rounds} rounds`);
console.log(`baseline: ${ms(times.before)}; this build: ${ms(times.after)}`);
console.log(`median ratio (this build ÷ baseline): ${quantile(ratios, 0.5).toFixed(3)}`);
// Builds that add in one order agree to the last bit; across a change of order (index order → four lanes,
// 5 December 2026) the sums agree to float64 rounding: more than that is a wrong sum, not another order.
const same = before.out.every((v, i) => Object.is(v, after.out[i]));
const worst = Math.max(...before.out.map((v, i) => Math.abs(after.out[i]! - v) / Math.abs(v)));
console.log(
  same ? "sums identical to the last bit" : `sums differ, by at most ${worst.toExponential(1)} relative`,
);
process.exitCode = same || worst < 1e-12 ? 0 : 1;
