/**
 * Convolution, pooling, flatten and reshape layers against PyTorch 1.13. The reference values live in
 * test/fixtures/conv/layers.json, written by make_fixtures.py beside it (which converts PyTorch's
 * channels-first tensors to Homeostat's channels last). Each case is a small Sequential, checked in
 * float32 and float64: its output and the gradients of sum(w · output) with respect to the input and
 * every parameter.
 */
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import * as op from "../src/autograd/ops.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { type DType, Tensor } from "../src/tensor/tensor.js";
import { assertAllClose, flatten, type Nested, readJsonFixture, type Tolerance } from "./helpers/fixtures.js";

interface ConvCase {
  name: string;
  layers: unknown[];
  inputShape: number[];
  input: Nested;
  params: Record<string, Nested>;
  projection: Nested;
  results: Record<DType, { output: Nested; grads: Record<string, Nested> }>;
}

/**
 * Relative 1e-5 in float32 and 1e-12 in float64. The float32 floor of 0.1 (absolute 1e-6 on smaller
 * values) is the rounding of sums of up to 72 products of terms near 1, added in another order than
 * PyTorch's: values near 0 come from cancellation, and differences up to 3.9e-7 were seen there (a
 * depthwise input gradient of 5.3e-4). float64 passes with the same floor at 1e-12.
 */
const TOLERANCE: Record<DType, Tolerance> = {
  float32: { rtol: 1e-5, floor: 1e-1 },
  float64: { rtol: 1e-12, floor: 1e-2 },
};

const { cases } = readJsonFixture<{ cases: ConvCase[] }>("conv", "layers.json");

for (const c of cases) {
  for (const dtype of ["float32", "float64"] as const) {
    test(`${c.name} (${dtype}) matches PyTorch: output, input and parameter gradients`, () => {
      const model = Sequential.fromLayerConfigs(c.layers).build(c.inputShape, new Rng(0), dtype);
      const params = model.parameters();
      for (const [name, t] of params) t.data.set(flatten(c.params[name]));
      const x0 = flatten(c.input);
      const batch = x0.length / c.inputShape.reduce((a, b) => a * b, 1);
      const x = Tensor.from(x0, { dtype, shape: [batch, ...c.inputShape], requiresGrad: true });
      const y = model.forward(x);
      const want = c.results[dtype];
      const tol = TOLERANCE[dtype];
      assertAllClose(y.data, want.output, tol, `${c.name} output`);
      const w = Tensor.from(flatten(c.projection), { dtype, shape: y.shape });
      const grads = grad(op.sum(op.mul(y, w)), [x, ...params.map(([, t]) => t)]);
      assertAllClose(grads[0].data, want.grads.input, tol, `${c.name} input gradient`);
      params.forEach(([name], i) =>
        assertAllClose(grads[i + 1].data, want.grads[name], tol, `${c.name} ${name}`),
      );
    });
  }
}
