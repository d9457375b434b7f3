/**
 * A convolution (groups 1) as a composition of a backend's own kernels: im2col then the dense kernel
 * forward; two products and col2im backward. This is what autograd's composite runs, kernel for kernel,
 * so a backend's fused `conv2d` pair falls back to it (float64, tiny products) and autograd uses it when
 * the backend that ran the forward pass has no backward kernel.
 */
import { allocate, dtypeOf, type Data } from "../tensor/tensor.js";
import type { Backend, ConvGeometry } from "./backend.js";
import * as jsLinear from "./js/linear.js";

/** Rows (receptive fields) and taps (values per field) of a convolution's im2col matrix. */
export function convSizes(g: ConvGeometry): { rows: number; taps: number } {
  return { rows: g.batch * g.outH * g.outW, taps: (g.kernelH * g.kernelW * g.channels) / g.groups };
}

/**
 * out [rows, filters] ← act(im2col(x)·wᵀ + b) with `kernels`' im2col and linear (js's where it has none);
 * returns im2col(x), which the backward pass reads.
 *
 * @example
 * convByKernels(jsBackend, x, w, b, out, geometry, 16, true); // the composite's bits on js
 */
export function convByKernels(
  kernels: Backend,
  x: Data,
  w: Data,
  b: Data | null,
  out: Data,
  g: ConvGeometry,
  filters: number,
  relu: boolean,
): Data {
  const { rows, taps } = convSizes(g);
  const cols = allocate(dtypeOf(x), rows * taps);
  kernels.im2col(x, g, 0, cols);
  (kernels.linear ?? jsLinear.linear)(cols, w, b, out, rows, filters, taps, relu);
  return cols;
}

/**
 * dx ← col2im(dz·w) and dw ← dzᵀ·im2col(x) (each skipped where null) with `kernels`' matmul, col2im and
 * im2col, as the composite's gradient rules call them; `cols`, im2col(x) where the caller kept it.
 *
 * @example
 * convBackwardByKernels(jsBackend, x, w, dz, dx, dw, geometry, 16);
 */
export function convBackwardByKernels(
  kernels: Backend,
  x: Data,
  w: Data,
  dz: Data,
  dx: Data | null,
  dw: Data | null,
  g: ConvGeometry,
  filters: number,
  cols: Data | null = null,
): void {
  const { rows, taps } = convSizes(g);
  if (dx) {
    const dCols = allocate(dtypeOf(dz), rows * taps);
    kernels.matmul(dz, w, dCols, rows, taps, filters, false, false);
    kernels.col2im(dCols, g, dx);
  }
  if (dw) {
    let fields = cols;
    if (!fields) {
      fields = allocate(dtypeOf(x), rows * taps);
      kernels.im2col(x, g, 0, fields);
    }
    kernels.matmul(dz, fields, dw, filters, taps, rows, true, false);
  }
}
