import type { Data } from "../../tensor/tensor.js";
import { matmul } from "./matmul.js";

/** out = act(x·wᵀ + b): the product, then one pass adding the bias and applying relu (v > 0 ? v : 0). */
export function linear(
  x: Data,
  w: Data,
  b: Data | null,
  out: Data,
  m: number,
  n: number,
  k: number,
  relu: boolean,
): void {
  matmul(x, w, out, m, n, k, false, true);
  if (!b && !relu) return;
  for (let i = 0; i < m; i++) {
    const row = i * n;
    if (b && relu) {
      for (let j = 0; j < n; j++) {
        const v = out[row + j] + b[j];
        out[row + j] = v > 0 ? v : 0;
      }
    } else if (b) {
      for (let j = 0; j < n; j++) out[row + j] += b[j];
    } else {
      for (let j = 0; j < n; j++) {
        const v = out[row + j];
        out[row + j] = v > 0 ? v : 0;
      }
    }
  }
}

/** dz = g·(y > 0 ? 1 : 0) with relu; db = column sums of dz (or of g), accumulated in float64. */
export function linearBackward(
  g: Data,
  y: Data,
  dz: Data | null,
  db: Data | null,
  m: number,
  n: number,
  relu: boolean,
): void {
  const d = relu ? dz! : g;
  if (relu) for (let i = 0; i < m * n; i++) d[i] = g[i] * (y[i] > 0 ? 1 : 0);
  if (!db) return;
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) acc[j] += d[row + j];
  }
  db.set(acc);
}
