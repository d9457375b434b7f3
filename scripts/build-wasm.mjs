// Compile the AssemblyScript kernels of the wasm backend (src/backend/wasm/kernels) into the four
// variants the loader chooses from: plain or relaxed SIMD (fused multiply-add), private or shared
// memory (shared lets worker threads split a product). Output sits beside the compiled loader, so the
// same relative URL works in Node and in a browser bundle.
import { mkdirSync } from "node:fs";
import asc from "assemblyscript/asc";

const entry = "src/backend/wasm/kernels/index.ts";
const outDir = "dist/src/backend/wasm";
mkdirSync(outDir, { recursive: true });

const variants = [
  { name: "kernels", features: ["simd"], shared: false },
  { name: "kernels-relaxed", features: ["simd", "relaxed-simd"], shared: false },
  { name: "kernels-mt", features: ["simd", "threads"], shared: true },
  { name: "kernels-mt-relaxed", features: ["simd", "relaxed-simd", "threads"], shared: true },
];

for (const v of variants) {
  const args = [
    entry, "--outFile", `${outDir}/${v.name}.wasm`,
    "-O3", "--noAssert", "--runtime", "stub", "--importMemory", "--initialMemory", "1",
    ...v.features.flatMap((f) => ["--enable", f]),
    // 1 GiB is the most the arena may grow to; shared memory must declare its maximum up front.
    ...(v.shared ? ["--sharedMemory", "--maximumMemory", "16384"] : []),
  ];
  const { error, stderr } = await asc.main(args);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${v.name} failed: ${error.message}`);
    process.exit(1);
  }
}
