/**
 * The machine's own ceiling, so that "close to the limit" is a number on every machine: one thread
 * running independent chains of 128-bit multiply-adds (the kernels' `fmaPeak`: fused where the
 * runtime has relaxed SIMD, else a multiply then an add, as the product's micro-kernel does). The
 * bench runs it as a contestant beside the product and the convolutions, in the same interleaved
 * rounds, and reports each as a share of it. Also: the CPU's name, as /proc/cpuinfo gives it.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { loadKernels } from "../src/backend/wasm/loader.js";
import { type Contestant, secondsSince } from "./harness.js";

/** Rounds of `fmaPeak` per repetition: 96 floating-point operations each (~2–5 ms at 20–60 GFLOP/s). */
const ITERS = 1 << 20;

/** The ceiling's peer family in the ratio tables: "÷ best ceiling" is then the share of it. */
export const CEILING_PEER = "ceiling";

/** The ceiling as a contestant, or why there is none (no wasm SIMD here). */
export function ceilingContestant(): Contestant | string {
  const k = loadKernels();
  if (!k) return "no ceiling: the wasm kernels do not load here";
  const ex = k.exports;
  const flopsPerRep = ITERS * ex.peakFlopsPerIter();
  const how = ex.peakFused() ? "fused multiply-add (relaxed SIMD)" : "multiply then add (no relaxed SIMD)";
  let sink = 0;
  return {
    name: `ceiling: 12 chains of f32x4 ${how}, 1 thread`,
    peer: CEILING_PEER,
    async run(reps: number) {
      const start = performance.now();
      for (let r = 0; r < reps; r++) sink += ex.fmaPeak(ITERS, 0.25 + (sink % 1) * 1e-9);
      return { work: reps * flopsPerRep, seconds: secondsSince(start) };
    },
  };
}

/**
 * The CPU as /proc/cpuinfo names it, with what matters for SIMD speed (family/model, AVX-512 or not),
 * e.g. "AMD EPYC (family 25, model 1; AVX2+FMA, no AVX-512)"; Node's model string elsewhere.
 */
export function cpuName(): string {
  let info = "";
  try {
    info = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return os.cpus()[0]?.model.trim() ?? "unknown CPU";
  }
  const field = (name: string): string =>
    info.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim() ?? "";
  const flags = new Set(field("flags").split(/\s+/));
  const simd = [
    flags.has("avx2") ? "AVX2" : flags.has("avx") ? "AVX" : "SSE",
    flags.has("fma") ? "+FMA" : "",
    flags.has("avx512f") ? ", AVX-512" : ", no AVX-512",
  ].join("");
  const model = field("model name") || os.cpus()[0]?.model.trim() || "unknown CPU";
  return `${model} (family ${field("cpu family") || "?"}, model ${field("model") || "?"}; ${simd})`;
}
