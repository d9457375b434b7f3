/**
 * The host side of the layout kernels of convolution and pooling (kernels/conv.ts): the geometry and
 * the input copied into the arena, the kernel run on the calling thread, the result copied out. The
 * kernels copy and add exactly as the js ones do, so the results are the same bits.
 */
import type { ConvGeometry } from "../backend.js";
import type { Arena } from "./arena.js";
import type { LoadedKernels } from "./loader.js";

interface ScratchSpace {
  kernels: LoadedKernels;
  arena: Arena;
}

/** The geometry as the kernels read it: 16 int32s (one arena take), in the order of kernels/conv.ts. */
export function writeGeometry(arena: Arena, g: ConvGeometry): number {
  const at = arena.take(16);
  const block = new Int32Array(arena.view().buffer, at, 16);
  block.set([
    g.batch,
    g.height,
    g.width,
    g.channels,
    g.kernelH,
    g.kernelW,
    g.strideH,
    g.strideW,
    g.dilationH,
    g.dilationW,
    g.padTop,
    g.padLeft,
    g.outH,
    g.outW,
    g.groups,
    g.layout === "taps" ? 1 : 0,
  ]);
  return at;
}

/**
 * Copy the inputs into the arena with room for outputs of the given sizes and the geometry; the byte
 * offsets of the geometry, then the inputs, then the outputs.
 */
function stage(arena: Arena, g: ConvGeometry, inputs: Float32Array[], outputs: number[]): number[] {
  const floats = [...inputs.map((x) => x.length), ...outputs].reduce((a, b) => a + b, 16);
  arena.reset(floats, 1 + inputs.length + outputs.length);
  const at = [writeGeometry(arena, g)];
  for (const x of inputs) {
    at.push(arena.take(x.length));
    arena.view().set(x, at[at.length - 1]! >> 2);
  }
  for (const n of outputs) at.push(arena.take(n));
  return at;
}

/** out ← the floats at byte offset `at`. */
function copyOut(arena: Arena, at: number, out: Float32Array): void {
  out.set(arena.view().subarray(at >> 2, (at >> 2) + out.length));
}

/**
 * out ← the receptive fields of x (see Backend.im2col), in the compiled kernel.
 *
 * @example
 * im2col(runner.scratchSpace, x, geometry, 0, cols); // the same bits as the js kernel
 */
export function im2col(
  { kernels, arena }: ScratchSpace,
  x: Float32Array,
  g: ConvGeometry,
  padValue: number,
  out: Float32Array,
): void {
  const [geoAt, xAt, outAt] = stage(arena, g, [x], [out.length]) as [number, number, number];
  kernels.exports.im2col(xAt, geoAt, padValue, outAt);
  copyOut(arena, outAt, out);
}

/**
 * out ← every entry of cols added where im2col read it (see Backend.col2im), in the compiled kernel.
 *
 * @example
 * col2im(runner.scratchSpace, dCols, geometry, dx); // the same bits as the js kernel
 */
export function col2im(
  { kernels, arena }: ScratchSpace,
  cols: Float32Array,
  g: ConvGeometry,
  out: Float32Array,
): void {
  const [geoAt, colsAt, outAt] = stage(arena, g, [cols], [out.length]) as [number, number, number];
  kernels.exports.col2im(colsAt, geoAt, outAt);
  copyOut(arena, outAt, out);
}

/**
 * out ← each window's largest value per channel (see Backend.maxPool), in the compiled kernel.
 *
 * @example
 * maxPool(runner.scratchSpace, x, geometry, out); // the same bits as the js kernel
 */
export function maxPool(
  { kernels, arena }: ScratchSpace,
  x: Float32Array,
  g: ConvGeometry,
  out: Float32Array,
): void {
  const [geoAt, xAt, outAt] = stage(arena, g, [x], [out.length]) as [number, number, number];
  kernels.exports.maxPool(xAt, geoAt, outAt);
  copyOut(arena, outAt, out);
}

/**
 * dx ← the gradient of maxPool for gOut (see Backend.maxPoolBackward), in the compiled kernel.
 *
 * @example
 * maxPoolBackward(runner.scratchSpace, x, y, dy, geometry, dx); // the same bits as the js kernel
 */
export function maxPoolBackward(
  { kernels, arena }: ScratchSpace,
  x: Float32Array,
  y: Float32Array,
  gOut: Float32Array,
  g: ConvGeometry,
  dx: Float32Array,
): void {
  const [geoAt, xAt, yAt, gAt, dxAt, scratchAt] = stage(arena, g, [x, y, gOut], [dx.length, 3 * g.channels]);
  kernels.exports.maxPoolBackward(xAt!, yAt!, gAt!, geoAt!, dxAt!, scratchAt!);
  copyOut(arena, dxAt!, dx);
}
