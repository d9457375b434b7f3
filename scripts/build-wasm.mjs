// Compile the AssemblyScript kernels of the wasm backend (src/backend/wasm/kernels) into the four
// variants the loader chooses from: plain or relaxed SIMD (fused multiply-add), private or shared
// memory (shared lets worker threads split a product). Output sits beside the compiled loader, so the
// same relative URL works in Node and in a browser bundle.
// A variant whose .wasm is newer than every kernel source and this script is left alone, so that a
// test run after a TypeScript-only change does not pay for four AssemblyScript builds; `--force`
// rebuilds all four.
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const kernelDir = "src/backend/wasm/kernels";
const entry = `${kernelDir}/index.ts`;
const outDir = "dist/src/backend/wasm";
mkdirSync(outDir, { recursive: true });

const force = process.argv.includes("--force");
// A new compiler may emit different code, so its manifest counts as a source too.
const compiler = fileURLToPath(new URL("../node_modules/assemblyscript/package.json", import.meta.url));
const sources = [
  fileURLToPath(import.meta.url),
  compiler,
  ...readdirSync(kernelDir).map((f) => `${kernelDir}/${f}`),
];
const newestSource = Math.max(...sources.map((f) => statSync(f).mtimeMs));
const isFresh = (file) => {
  try {
    return statSync(file).mtimeMs > newestSource;
  } catch {
    return false; // not built yet
  }
};

const variants = [
  { name: "kernels", features: ["simd"], shared: false },
  { name: "kernels-relaxed", features: ["simd", "relaxed-simd"], shared: false },
  { name: "kernels-mt", features: ["simd", "threads"], shared: true },
  { name: "kernels-mt-relaxed", features: ["simd", "relaxed-simd", "threads"], shared: true },
];

const stale = variants.filter((v) => force || !isFresh(`${outDir}/${v.name}.wasm`));
// Loading the compiler alone takes a second or two; skip it when there is nothing to build.
const asc = stale.length > 0 ? (await import("assemblyscript/asc")).default : undefined;

for (const v of stale) {
  const outFile = `${outDir}/${v.name}.wasm`;
  const args = [
    entry,
    "--outFile",
    outFile,
    "-O3",
    "--noAssert",
    "--runtime",
    "stub",
    "--importMemory",
    "--initialMemory",
    "1",
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
