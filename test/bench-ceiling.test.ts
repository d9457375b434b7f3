/**
 * The bench's ceiling (kernels/peak.ts through bench/ceiling.ts) and its summary table: the kernel
 * against the closed form of its chains, the shares and ratios against hand-computed values.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { cpuName } from "../bench/ceiling.js";
import { formatMarkdown, formatSummary, type Result } from "../bench/harness.js";
import { loadKernels } from "../src/backend/wasm/loader.js";

const kernels = loadKernels();

test("fmaPeak: 12 chains c ← c/2 + b from 1..12, four lanes each, summed (the closed form, exact in float32)", {
  skip: kernels ? false : "the wasm kernels do not load here",
}, () => {
  const ex = kernels!.exports;
  assert.equal(ex.peakFlopsPerIter(), 12 * 4 * 2);
  // After n rounds chain s is 2b + (s − 2b)/2ⁿ; with b = 1/4 and n = 3: Σ_s (1/2 + (s − 1/2)/8) = 6 + 72/8.
  assert.equal(ex.fmaPeak(3, 0.25), 4 * (6 + 72 / 8));
  assert.equal(ex.fmaPeak(0, 0.25), 4 * 78);
  assert.equal(ex.fmaPeak(1, 0), 4 * 39);
  assert.ok([0, 1].includes(ex.peakFused()));
});

test("cpuName: the model as /proc/cpuinfo names it, and whether the CPU has AVX-512", {
  skip: existsSync("/proc/cpuinfo") ? false : "no /proc/cpuinfo here",
}, () => {
  const name = cpuName();
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "";
  assert.ok(name.startsWith(model), `${name} does not start with ${model}`);
  assert.match(name, /(, AVX-512|no AVX-512)\)$/);
});

const result = (workload: string, contestant: string, peer: string, median: number): Result => ({
  workload,
  contestant,
  unit: "GFLOP/s",
  median,
  spread: 0,
  rounds: 3,
  repsPerRound: 1,
  reference: contestant === "Homeostat wasm, 1 thread",
  peer,
  ratio: null,
});

test("formatSummary: shares of the ceiling, two threads ÷ one and ÷ PyTorch on the same threads", () => {
  const table = formatSummary([
    result("GEMM", "Homeostat wasm, 1 thread", "Homeostat", 40),
    result("GEMM", "Homeostat wasm, 2 threads", "Homeostat", 70),
    result("GEMM", "PyTorch torch.mm (1 thread)", "PyTorch", 80),
    result("GEMM", "PyTorch torch.mm (2 threads)", "PyTorch", 35),
    result("GEMM", "ceiling: 12 chains, 1 thread", "ceiling", 50),
    result("MLP", "Homeostat wasm, 1 thread", "Homeostat", 9),
  ]).split("\n");
  assert.equal(table.length, 4);
  assert.equal(table[2], "| GEMM | 40.0 / 70.0 GFLOP/s | 50.0 | 80% | 140% | 1.75× | 0.50× | 2.00× |");
  // No ceiling, no second thread and no PyTorch in the MLP's workload: empty cells, not NaN.
  assert.equal(table[3], "| MLP | 9.00 / — GFLOP/s |  |  |  |  |  |  |");
});

test("formatMarkdown: one table per run of workloads with the same contestants, the reference in bold", () => {
  const md = formatMarkdown([
    result("A", "Homeostat wasm, 1 thread", "Homeostat", 1),
    result("A", "PyTorch (1 thread)", "PyTorch", 2),
    result("B", "Homeostat wasm, 1 thread", "Homeostat", 3),
    result("B", "PyTorch (1 thread)", "PyTorch", 4),
    result("C", "Homeostat wasm, 1 thread", "Homeostat", 5),
    result("C", "ceiling: 12 chains, 1 thread", "ceiling", 6),
  ]);
  assert.equal(
    md,
    [
      "| workload | Homeostat wasm, 1 thread | PyTorch (1 thread) |",
      "| --- | --- | --- |",
      "| A (GFLOP/s) | **1.00** | 2.00 |",
      "| B (GFLOP/s) | **3.00** | 4.00 |",
      "",
      "| workload | Homeostat wasm, 1 thread | ceiling: 12 chains, 1 thread |",
      "| --- | --- | --- |",
      "| C (GFLOP/s) | **5.00** | 6.00 |",
    ].join("\n"),
  );
});
