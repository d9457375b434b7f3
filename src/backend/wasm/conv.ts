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

/** The geometry as the kernels read it: 16 int32s, in the order of kernels/conv.ts. */
function writeGeometry(arena: Arena, g: ConvGeometry): number {
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

/** Copy `input` into the arena with room for `output` floats and the geometry; their byte offsets. */
function stage(
  arena: Arena,
  input: Float32Array,
  outFloats: number,
  g: ConvGeometry,
): [number, number, number] {
  arena.reset(input.length + outFloats + 16, 3);
  const geoAt = writeGeometry(arena, g);
  const inAt = arena.take(input.length);
  arena.view().set(input, inAt >> 2);
  return [inAt, arena.take(outFloats), geoAt];
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
  const [xAt, outAt, geoAt] = stage(arena, x, out.length, g);
  kernels.exports.im2col(xAt, geoAt, padValue, outAt);
  out.set(arena.view().subarray(outAt >> 2, (outAt >> 2) + out.length));
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
  const [colsAt, outAt, geoAt] = stage(arena, cols, out.length, g);
  kernels.exports.col2im(colsAt, geoAt, outAt);
  out.set(arena.view().subarray(outAt >> 2, (outAt >> 2) + out.length));
}
