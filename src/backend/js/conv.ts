/**
 * The layout kernels of convolution and pooling: im2col gathers every receptive field of a
 * channels-last image batch into one row of a matrix, so a convolution is one matrix product (the
 * backend's fastest kernel) and a pooling is one reduction; col2im is its adjoint (each field's
 * entries added back where they were read), the gradient of im2col and the input gradient of a
 * convolution. Direct loops: this is the reference the other backends are tested against.
 */
import type { ConvGeometry } from "../backend.js";
import type { Data } from "../../tensor/tensor.js";

/**
 * Index maps of the geometries seen last (a model has a few: one per conv and pooling layer and batch
 * size), at most `MAP_ENTRIES_KEPT` entries in all (16 MB), the oldest dropped first.
 */
const maps = new Map<string, Int32Array>();
const MAP_ENTRIES_KEPT = 1 << 22;
let mapEntries = 0;

/**
 * For each receptive field (output pixel, in order) and each tap (ky, kx) of it, the index in the image
 * of the tap's first channel, or −1 where it falls on the padding: a tap's channels are contiguous in
 * both the image and the columns, so the kernels copy runs. Made once per geometry and kept.
 */
export function tapMap(g: ConvGeometry): Int32Array {
  const key = `${g.batch},${g.height},${g.width},${g.channels},${g.kernelH},${g.kernelW},${g.strideH},${g.strideW},${g.dilationH},${g.dilationW},${g.padTop},${g.padLeft},${g.outH},${g.outW}`;
  const kept = maps.get(key);
  if (kept) return kept;
  const map = new Int32Array(g.batch * g.outH * g.outW * g.kernelH * g.kernelW);
  let k = 0;
  for (let n = 0; n < g.batch; n++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let ky = 0; ky < g.kernelH; ky++) {
          const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          for (let kx = 0; kx < g.kernelW; kx++) {
            const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
            const inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width;
            map[k++] = inside ? ((n * g.height + iy) * g.width + ix) * g.channels : -1;
          }
        }
  for (const [oldest, m] of maps) {
    if (mapEntries + map.length <= MAP_ENTRIES_KEPT) break;
    maps.delete(oldest);
    mapEntries -= m.length;
  }
  maps.set(key, map);
  mapEntries += map.length;
  return map;
}

/**
 * Copy between the image and the columns, run by run (a tap's channels of one group): `toColumns`
 * gathers (padding reads `padValue`), else the columns are added back into the image. One loop for both
 * directions, each direction's inner loop monomorphic.
 */
function copyRuns(g: ConvGeometry, image: Data, cols: Data, toColumns: boolean, padValue: number): void {
  const map = tapMap(g);
  const cg = g.channels / g.groups;
  const taps = g.kernelH * g.kernelW;
  const rows = map.length / taps;
  const byTap = g.layout === "taps";
  for (let gr = 0; gr < g.groups; gr++) {
    const shift = gr * cg;
    for (let row = 0, k = 0; row < rows; row++)
      for (let t = 0; t < taps; t++, k++) {
        const base = map[k];
        const dst = byTap ? (t * rows + row) * cg : ((gr * rows + row) * taps + t) * cg;
        if (toColumns) {
          if (base < 0) cols.fill(padValue, dst, dst + cg);
          else for (let c = 0, src = base + shift; c < cg; c++) cols[dst + c] = image[src + c];
        } else if (base >= 0)
          for (let c = 0, src = base + shift; c < cg; c++) image[src + c] += cols[dst + c];
      }
  }
}

/**
 * out [groups, batch·outH·outW, kernelH·kernelW·channels/groups] ← the receptive fields of x
 * [batch, height, width, channels], each row ordered (ky, kx, c) (or tap by tap: `geometry.layout`);
 * padding reads `padValue`.
 *
 * @example
 * im2col(x, geometry, 0, cols); // then cols · Wᵀ is the convolution, W stored [filters, kh·kw·c]
 */
export function im2col(x: Data, g: ConvGeometry, padValue: number, out: Data): void {
  copyRuns(g, x, out, true, padValue);
}

/**
 * out [batch, height, width, channels] ← the sum, over every column entry, of the entry added where
 * im2col read it (padding entries are dropped): the adjoint of `im2col`.
 *
 * @example
 * col2im(dCols, geometry, dx); // the input gradient of a convolution
 */
export function col2im(cols: Data, g: ConvGeometry, out: Data): void {
  out.fill(0);
  copyRuns(g, out, cols, false, 0);
}
