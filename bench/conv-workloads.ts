/**
 * The bench's convolution workloads (`--only conv`, `--only cnn`): one conv layer's forward and both
 * gradients at 28×28 and 32×32 inputs, and CNN training (a LeNet-5-like net and a small
 * ResNet block net), Homeostat wasm on 1 and 2 threads against PyTorch on the same threads, at batch
 * 32 and batch 1. Layers are counted in floating-point operations (the products' 2·m·n·k: forward,
 * the filter gradient, and the input gradient where the input wants one), so each is also a share of
 * the machine's ceiling (ceiling.ts).
 */
import { backward } from "../src/autograd/backward.js";
import { conv2d, windowGeometry } from "../src/autograd/conv.js";
import { allocFloat32, stepPoolFor } from "../src/backend/index.js";
import type { LayerConfig } from "../src/nn/layer.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";
import { type Contestant, secondsSince, type Workload } from "./harness.js";
import { type HomeostatBackend, homeostatLabel, uniformMatrix } from "./homeostat.js";
import { useBackend } from "../src/backend/index.js";

/** A 3×3 convolution layer on [batch, size, size, cin] images; `first`: its input wants no gradient. */
export interface ConvCase {
  batch: number;
  size: number;
  cin: number;
  cout: number;
  padding: "same" | "valid";
  first: boolean;
}

/** The demo CNN's two layers, then 28×28 and 32×32 layers of a few widths; each at batch 32 and 1. */
export const CONV_CASES: readonly ConvCase[] = [32, 1].flatMap((batch) =>
  (
    [
      [28, 1, 16, "valid"],
      [13, 16, 32, "valid"],
      [28, 16, 16, "same"],
      [28, 32, 32, "same"],
      [32, 3, 16, "same"],
      [32, 16, 32, "same"],
      [32, 32, 64, "same"],
    ] as const
  ).map(([size, cin, cout, padding]) => ({ batch, size, cin, cout, padding, first: cin <= 3 })),
);

/** "conv 3×3 28×28×16→32 same, batch 32, fwd+bwd". */
export function convName(c: ConvCase): string {
  return `conv 3×3 ${c.size}×${c.size}×${c.cin}→${c.cout} ${c.padding}, batch ${c.batch}, fwd+bwd${c.first ? " (no input grad)" : ""}`;
}

/** Output side of a 3×3, stride-1 convolution. */
const outSide = (c: ConvCase): number => (c.padding === "same" ? c.size : c.size - 2);

/** Floating-point operations of one forward+backward: 2 or 3 products of 2·rows·taps·filters. */
export function convFlops(c: ConvCase): number {
  const rows = c.batch * outSide(c) ** 2;
  return (c.first ? 2 : 3) * 2 * rows * 9 * c.cin * c.cout;
}

/** A tensor whose data lives in the active backend's memory (as a layer's weights do). */
function resident(data: Float32Array, shape: number[], requiresGrad: boolean): Tensor {
  const out = allocFloat32(data.length);
  out.set(data);
  return new Tensor(out, shape, requiresGrad);
}

/** One repetition: conv2d forward, then backward from a fixed output gradient (the leaves' grads reset). */
export function homeostatConv(c: ConvCase, on: HomeostatBackend, reference = false): Contestant {
  useBackend(on.backend, { threads: on.threads });
  const rng = new Rng(3);
  const taps = 9 * c.cin;
  const x = resident(
    uniformMatrix(c.batch * c.size * c.size, c.cin, rng),
    [c.batch, c.size, c.size, c.cin],
    !c.first,
  );
  const w = resident(uniformMatrix(c.cout, taps, rng), [c.cout, taps], true);
  const b = resident(uniformMatrix(1, c.cout, rng), [c.cout], true);
  const g = windowGeometry(x.shape, { kernel: [3, 3], padding: c.padding });
  const seed = resident(
    uniformMatrix(c.batch * g.outH * g.outW, c.cout, rng),
    [c.batch, g.outH, g.outW, c.cout],
    false,
  );
  // As `fit` runs a step (and as PyTorch's caching allocator serves its loop): a repetition's arrays
  // come from a pool and go back to it, so each is not fresh memory whose pages the OS charges on first
  // touch, and the upstream gradient is in the backend's memory, as a layer's in a net is.
  const pool = stepPoolFor(w); // the layer's own, as a model's is its own
  const kept = [x.data, w.data, b.data, seed.data];
  return {
    name: `${homeostatLabel(on)} (conv2d)`,
    reference,
    peer: "Homeostat",
    async run(reps) {
      useBackend(on.backend, { threads: on.threads });
      const start = performance.now();
      for (let r = 0; r < reps; r++) {
        pool.during(() => backward(conv2d(x, w, b, g), seed));
        x.grad = w.grad = b.grad = null;
        pool.recycle(kept);
      }
      return { work: reps * convFlops(c), seconds: secondsSince(start) };
    },
  };
}

/**
 * The LeNet-5-like net (the first `demo cnn`'s): 28×28×1 → conv 3×3×16 relu → max pool 2 → conv 3×3×32
 * relu → max pool 2 → flatten → dense 10 softmax. Kept here, not read from the demo, so that the
 * bench's figures and its PyTorch and TF.js peers (which build the same net) stay comparable.
 */
export const LENET: readonly LayerConfig[] = [
  { type: "reshape", shape: [28, 28, 1] },
  { type: "conv2d", filters: 16, kernel: 3, activation: "relu" },
  { type: "maxPool2d", pool: 2 },
  { type: "conv2d", filters: 32, kernel: 3, activation: "relu" },
  { type: "maxPool2d", pool: 2 },
  { type: "flatten" },
  { type: "dense", units: 10, activation: "softmax" },
];

/** The small ResNet block net of examples/resnet-cnn.json (a stem, two residual stages, global pooling). */
const conv = (filters: number, stride = 1): LayerConfig => ({
  type: "conv2d",
  filters,
  kernel: 3,
  stride,
  padding: "same",
});
const bn: LayerConfig = { type: "batchNorm" };
const relu: LayerConfig = { type: "activation", activation: "relu" };
const RESNET: LayerConfig[] = [
  { type: "reshape", shape: [28, 28, 1] },
  conv(16, 2),
  bn,
  relu,
  { type: "residual", layers: [conv(16), bn, relu, conv(16), bn] },
  relu,
  { type: "residual", layers: [conv(32, 2), bn, relu, conv(32), bn] },
  relu,
  { type: "globalAvgPool" },
  { type: "dense", units: 10, activation: "softmax" },
];

/** The nets of the CNN workloads, by the name the PyTorch peer builds them under. */
export const CNN_NETS: Record<"lenet" | "resnet", { label: string; layers: readonly LayerConfig[] }> = {
  lenet: { label: "LeNet-5-like CNN", layers: LENET },
  resnet: { label: "small ResNet block net", layers: RESNET },
};

/** Steps per repetition: enough rows that a batch-1 repetition is not all call overhead. */
export const cnnSteps = (batch: number): number => (batch === 1 ? 32 : 4);

/** Training with `fit` (Adam, lr 1e-3) on random 28×28 digits; work is counted in samples. */
export function homeostatCnn(
  net: keyof typeof CNN_NETS,
  batch: number,
  on: HomeostatBackend,
  reference = false,
): Contestant {
  useBackend(on.backend, { threads: on.threads });
  const rng = new Rng(1);
  const rows = batch * cnnSteps(batch);
  const y = new Float32Array(rows * 10);
  for (let r = 0; r < rows; r++) y[r * 10 + Math.floor(rng.next() * 10)] = 1;
  const data = { x: new Tensor(uniformMatrix(rows, 784, rng), [rows, 784]), y: new Tensor(y, [rows, 10]) };
  const model = Sequential.fromLayerConfigs(CNN_NETS[net].layers).build(784, new Rng(1));
  const optimizer = adam({ lr: 1e-3 });
  let calls = 0;
  return {
    name: `${homeostatLabel(on)} (fit)`,
    reference,
    peer: "Homeostat",
    async run(reps) {
      useBackend(on.backend, { threads: on.threads });
      const start = performance.now();
      fit(model, data, { epochs: reps, batchSize: batch, optimizer, loss: "crossEntropy", seed: calls++ });
      return { work: reps * rows, seconds: secondsSince(start) };
    },
  };
}

/** Homeostat's contestants here: wasm on one thread (the ratios' reference) and on two. */
const WASM: readonly HomeostatBackend[] = [
  { backend: "wasm", threads: 1 },
  { backend: "wasm", threads: 2 },
];

/** The PyTorch contestants the workloads need (bench/peers-torch.ts), when PyTorch is there. */
interface TorchConvPeer {
  conv(c: ConvCase, threads: number): Contestant;
  cnn(net: string, batch: number, threads: number): Contestant;
}

/** One workload per conv layer case: wasm on 1 and 2 threads, PyTorch on 1 and 2, and the ceiling. */
export function convWorkloads(torch: TorchConvPeer | null, ceiling: Contestant | null): Workload[] {
  return CONV_CASES.map((c) => ({
    name: convName(c),
    unit: "GFLOP/s",
    scale: 1e9,
    contestants: [
      ...WASM.map((on, i) => homeostatConv(c, on, i === 0)),
      ...(torch ? [torch.conv(c, 1), torch.conv(c, 2)] : []),
      ...(ceiling ? [ceiling] : []),
    ],
  }));
}

/** CNN training: each net at batch 32 and 1, wasm on 1 and 2 threads against PyTorch on 1 and 2. */
export function cnnWorkloads(torch: TorchConvPeer | null): Workload[] {
  return (["lenet", "resnet"] as const).flatMap((net) =>
    [32, 1].map((batch) => ({
      name: `${CNN_NETS[net].label} train, batch ${batch}, Adam`,
      unit: "samples/s",
      scale: 1,
      contestants: [
        ...WASM.map((on, i) => homeostatCnn(net, batch, on, i === 0)),
        ...(torch ? [torch.cnn(net, batch, 1), torch.cnn(net, batch, 2)] : []),
      ],
    })),
  );
}
