/**
 * The layout kernels of convolution and pooling: im2col gathers every receptive field of a
 * channels-last image batch into one row of a matrix, so a convolution is one matrix product (the
 * backend's fastest kernel) and a pooling is one reduction; col2im is its adjoint (each field's
 * entries added back where they were read), the gradient of im2col and the input gradient of a
 * convolution. Direct loops: this is the reference the other backends are tested against.
 */
import type { ConvGeometry } from "../backend.js";
import type { Data } from "../../tensor/tensor.js";

/** Index maps of the geometries seen last (a model has a few: one per conv and pooling layer and batch size). */
const maps = new Map<string, Int32Array>();
const MAPS_KEPT = 32;

/**
 * For each entry of the column matrix, in order, the index it reads in the image, or −1 where it falls
 * on the padding. Made once per geometry and kept: then im2col and col2im are one flat loop each.
 */
function indexMap(g: ConvGeometry): Int32Array {
  const key = `${g.batch},${g.height},${g.width},${g.channels},${g.kernelH},${g.kernelW},${g.strideH},${g.strideW},${g.dilationH},${g.dilationW},${g.padTop},${g.padLeft},${g.outH},${g.outW},${g.groups}`;
  const kept = maps.get(key);
  if (kept) return kept;
  const cg = g.channels / g.groups;
  const map = new Int32Array(g.groups * g.batch * g.outH * g.outW * g.kernelH * g.kernelW * cg);
  let o = 0;
  for (let gr = 0; gr < g.groups; gr++)
    for (let n = 0; n < g.batch; n++)
      for (let oy = 0; oy < g.outH; oy++)
        for (let ox = 0; ox < g.outW; ox++)
          for (let ky = 0; ky < g.kernelH; ky++) {
            const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
            for (let kx = 0; kx < g.kernelW; kx++) {
              const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
              const inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width;
              const base = ((n * g.height + iy) * g.width + ix) * g.channels + gr * cg;
              for (let c = 0; c < cg; c++) map[o++] = inside ? base + c : -1;
            }
          }
  if (maps.size >= MAPS_KEPT) maps.delete(maps.keys().next().value as string);
  maps.set(key, map);
  return map;
}

/**
 * out [groups, batch·outH·outW, kernelH·kernelW·channels/groups] ← the receptive fields of x
 * [batch, height, width, channels], each row ordered (ky, kx, c); padding reads `padValue`.
 *
 * @example
 * im2col(x, geometry, 0, cols); // then cols · Wᵀ is the convolution, W stored [filters, kh·kw·c]
 */
export function im2col(x: Data, g: ConvGeometry, padValue: number, out: Data): void {
  const map = indexMap(g);
  for (let o = 0; o < map.length; o++) {
    const i = map[o];
    out[o] = i < 0 ? padValue : x[i];
  }
}

/**
 * out [batch, height, width, channels] ← the sum, over every column entry, of the entry added where
 * im2col read it (padding entries are dropped): the adjoint of `im2col`.
 *
 * @example
 * col2im(dCols, geometry, dx); // the input gradient of a convolution
 */
export function col2im(cols: Data, g: ConvGeometry, out: Data): void {
  const map = indexMap(g);
  out.fill(0);
  for (let o = 0; o < map.length; o++) {
    const i = map[o];
    if (i >= 0) out[i] += cols[o];
  }
}
