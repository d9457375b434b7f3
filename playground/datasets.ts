/**
 * The playground's data: toy 2-D classification sets in the square [-1, 1]² (seeded: the same name,
 * size and seed give the same points), and a slice of the bundled MNIST digits. Labels are class indices.
 */
import { Rng, Tensor } from "homeostat";

export const TOY_DATASETS = ["circle", "xor", "spirals", "blobs"] as const;
export const DATASETS = [...TOY_DATASETS, "digits"] as const;
export type DatasetName = (typeof DATASETS)[number];
export type ToyDatasetName = (typeof TOY_DATASETS)[number];

export interface Points {
  /** [n, dim] inputs: 2-D coordinates, or 28×28 pixels in [0, 1]. */
  x: Float32Array;
  dim: number;
  labels: Int32Array;
  classes: number;
}

/** `n` points of a named toy set with Gaussian noise of spread `noise`. */
export function makeDataset(name: ToyDatasetName, n: number, seed: number, noise = 0.05): Points {
  const rng = new Rng(seed);
  const x = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  let classes = 2;
  for (let i = 0; i < n; i++) {
    let px = 0,
      py = 0,
      label = 0;
    if (name === "circle") {
      label = i % 2;
      const r = label === 0 ? 0.45 * Math.sqrt(rng.next()) : 0.65 + 0.3 * rng.next();
      const a = 2 * Math.PI * rng.next();
      [px, py] = [r * Math.cos(a), r * Math.sin(a)];
    } else if (name === "xor") {
      px = rng.uniform(-0.95, 0.95);
      py = rng.uniform(-0.95, 0.95);
      const pad = 0.06;
      px += Math.sign(px) * pad;
      py += Math.sign(py) * pad;
      label = px * py > 0 ? 0 : 1;
    } else if (name === "spirals") {
      label = i % 2;
      const t = rng.next();
      const r = 0.08 + 0.85 * t;
      const a = 3.2 * Math.PI * t + label * Math.PI;
      [px, py] = [r * Math.cos(a), r * Math.sin(a)];
    } else {
      classes = 3;
      label = i % 3;
      const a = (2 * Math.PI * label) / 3 + 0.5;
      [px, py] = [0.55 * Math.cos(a) + 0.16 * rng.normal(), 0.55 * Math.sin(a) + 0.16 * rng.normal()];
    }
    x[2 * i] = Math.max(-1, Math.min(1, px + noise * rng.normal()));
    x[2 * i + 1] = Math.max(-1, Math.min(1, py + noise * rng.normal()));
    labels[i] = label;
  }
  return { x, dim: 2, labels, classes };
}

/**
 * The first digits of each class from the bundled MNIST set, as built into the page by the Vite plugin
 * in vite.config.ts (loaded only when asked for: about a megabyte).
 */
export async function loadDigits(): Promise<Points> {
  const { pixels, labels, count } = await import("virtual:homeostat-digits");
  const bytes = Uint8Array.from(atob(pixels), (c) => c.charCodeAt(0));
  const x = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) x[i] = bytes[i] / 255;
  return {
    x,
    dim: bytes.length / count,
    labels: Int32Array.from(atob(labels), (c) => c.charCodeAt(0)),
    classes: 10,
  };
}

/** The same inputs with their features (pixels) in a new fixed order: permuted MNIST's next task. */
export function permuteFeatures(p: Points, rng: Rng): Points {
  const perm = rng.permutation(p.dim);
  const n = p.labels.length;
  const x = new Float32Array(p.x.length);
  for (let r = 0; r < n; r++) for (let f = 0; f < p.dim; f++) x[r * p.dim + f] = p.x[r * p.dim + perm[f]];
  return { ...p, x };
}

/** The same points with each class k relabelled (k + shift) mod classes: a task that conflicts with the first. */
export function shiftLabels(p: Points, shift: number): Points {
  return { ...p, labels: p.labels.map((l) => (l + shift) % p.classes) };
}

export function toTensors(p: Points): { x: Tensor; y: Tensor } {
  const n = p.labels.length;
  const y = new Float32Array(n * p.classes);
  p.labels.forEach((l, i) => (y[i * p.classes + l] = 1));
  return { x: new Tensor(p.x, [n, p.dim]), y: new Tensor(y, [n, p.classes]) };
}
