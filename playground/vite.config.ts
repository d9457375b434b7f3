import { defineConfig } from "vite";

// The playground imports the library's TypeScript sources directly; `npm run playground` serves it.
export default defineConfig({
  root: "playground",
  base: "./",
  build: { outDir: "dist", emptyOutDir: true },
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
});
