// AssemblyScript: the layout kernels of convolution and pooling (see src/backend/js/conv.ts, the
// reference). A receptive field's tap reads `channels/groups` contiguous floats in both the image and
// the columns, so each tap is one run copied (im2col) or added back (col2im) four floats at a time.
// Copies and single float32 additions in the js kernel's order: the results are the same bits.

/** The geometry block the host writes (16 int32s, in this order), read in place. */
// @ts-ignore: decorator
@unmanaged class Geometry {
  batch: i32;
  height: i32;
  width: i32;
  channels: i32;
  kernelH: i32;
  kernelW: i32;
  strideH: i32;
  strideW: i32;
  dilationH: i32;
  dilationW: i32;
  padTop: i32;
  padLeft: i32;
  outH: i32;
  outW: i32;
  groups: i32;
  byTap: i32;
}

/** n floats from src to dst. */
// @ts-ignore: decorator
@inline function copyRun(src: usize, dst: usize, n: i32): void {
  let c = 0;
  for (; c + 4 <= n; c += 4) v128.store(dst + (<usize>c << 2), v128.load(src + (<usize>c << 2)));
  for (; c < n; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
}

/** n floats at dst set to value. */
// @ts-ignore: decorator
@inline function fillRun(dst: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let c = 0;
  for (; c + 4 <= n; c += 4) v128.store(dst + (<usize>c << 2), v);
  for (; c < n; c++) store<f32>(dst + (<usize>c << 2), value);
}

/** n floats of src added into dst, each one float32 addition. */
// @ts-ignore: decorator
@inline function addRun(src: usize, dst: usize, n: i32): void {
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    const at = <usize>c << 2;
    v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
  }
  for (; c < n; c++) {
    const at = <usize>c << 2;
    store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
  }
}

/**
 * Walk every (group, receptive field, tap) in the js kernel's order: `toColumns` copies image runs into
 * the columns (padding taps read `padValue`), else column runs are added back into the image.
 */
function walk(image: usize, cols: usize, G: Geometry, toColumns: bool, padValue: f32): void {
  if (G.groups == 1 && G.byTap == 0 && G.dilationW == 1) {
    if (toColumns) fieldsJoined(image, cols, G, padValue);
    else addJoined(image, cols, G);
    return;
  }
  const height = G.height;
  const width = G.width;
  const channels = G.channels;
  const kw = G.kernelW;
  const byTap = G.byTap != 0;
  const cg = channels / G.groups;
  const taps = G.kernelH * kw;
  const rows = G.batch * G.outH * G.outW;
  for (let gr = 0; gr < G.groups; gr++) {
    let row = 0;
    for (let n = 0; n < G.batch; n++)
      for (let oy = 0; oy < G.outH; oy++)
        for (let ox = 0; ox < G.outW; ox++, row++)
          for (let ky = 0; ky < G.kernelH; ky++) {
            const iy = oy * G.strideH - G.padTop + ky * G.dilationH;
            const rowInside = iy >= 0 && iy < height;
            for (let kx = 0; kx < kw; kx++) {
              const t = ky * kw + kx;
              const ix = ox * G.strideW - G.padLeft + kx * G.dilationW;
              const dst = byTap ? (t * rows + row) * cg : ((gr * rows + row) * taps + t) * cg;
              const colAt = cols + (<usize>dst << 2);
              if (rowInside && ix >= 0 && ix < width) {
                const imageAt = image + (<usize>(((n * height + iy) * width + ix) * channels + gr * cg) << 2);
                if (toColumns) copyRun(imageAt, colAt, cg);
                else addRun(colAt, imageAt, cg);
              } else if (toColumns) fillRun(colAt, cg, padValue);
            }
          }
  }
}

/**
 * `walk`'s additions (col2im) for one group, fields by row, no dilation across: the taps of a kernel row
 * that fall inside the image add one contiguous run of the columns into one contiguous run of it, so
 * each kernel row is one addition instead of one per tap (each image value still added once per field
 * and kernel row, in the same order).
 */
function addJoined(image: usize, cols: usize, G: Geometry): void {
  const height = G.height;
  const width = G.width;
  const channels = G.channels;
  const kw = G.kernelW;
  const kernelRow = kw * channels;
  let colAt = cols;
  for (let n = 0; n < G.batch; n++)
    for (let oy = 0; oy < G.outH; oy++)
      for (let ox = 0; ox < G.outW; ox++) {
        const ix0 = ox * G.strideW - G.padLeft;
        // Taps kx0..kx1−1 of each kernel row fall inside the image's width.
        const kx0 = min(kw, max(0, -ix0));
        const kx1 = max(kx0, min(kw, width - ix0));
        for (let ky = 0; ky < G.kernelH; ky++, colAt += <usize>kernelRow << 2) {
          const iy = oy * G.strideH - G.padTop + ky * G.dilationH;
          if (iy < 0 || iy >= height) continue;
          const imageAt = image + (<usize>(((n * height + iy) * width + ix0 + kx0) * channels) << 2);
          addRun(colAt + (<usize>(kx0 * channels) << 2), imageAt, (kx1 - kx0) * channels);
        }
      }
}

/**
 * `walk`'s copies (im2col) for one group, fields by row, no dilation across, kernel row by kernel row of
 * each output row: whether the kernel row
 * lies inside the image is found once for the output row, not for each field, and a field inside the
 * image's width copies its run with no fills around it. A few-channel first layer's fields are short
 * runs (3 floats for one channel and a 3-wide kernel), where walking field by field cost ~85 cycles a
 * field (28×28×1, batch 32: 0.46 of the layer's 0.94 ms). The same copies and fills: the same columns.
 */
function fieldsJoined(image: usize, cols: usize, G: Geometry, padValue: f32): void {
  const width = G.width;
  const channels = G.channels;
  const kw = G.kernelW;
  const strideW = G.strideW;
  const padLeft = G.padLeft;
  const outW = G.outW;
  const kernelRow = kw * channels;
  const fieldBytes = <usize>(G.kernelH * kernelRow) << 2;
  const stepBytes = <usize>(strideW * channels) << 2;
  for (let n = 0; n < G.batch; n++)
    for (let oy = 0; oy < G.outH; oy++) {
      const rowCols = cols + <usize>((n * G.outH + oy) * outW) * fieldBytes;
      for (let ky = 0; ky < G.kernelH; ky++) {
        const iy = oy * G.strideH - G.padTop + ky * G.dilationH;
        const first = rowCols + (<usize>(ky * kernelRow) << 2);
        if (iy < 0 || iy >= G.height) {
          for (let ox = 0; ox < outW; ox++) fillRun(first + <usize>ox * fieldBytes, kernelRow, padValue);
          continue;
        }
        const imageRow = image + (<usize>((n * G.height + iy) * width * channels) << 2);
        // Fields ox0..ox1−1 read the kernel row whole from the image.
        const ox0 = min(outW, (padLeft + strideW - 1) / strideW);
        const last = width - kw + padLeft; // the last field inside starts at or before this column
        const ox1 = last < 0 ? ox0 : max(ox0, min(outW, last / strideW + 1));
        for (let ox = 0; ox < ox0; ox++) edgeRun(imageRow, first + <usize>ox * fieldBytes, ox * strideW - padLeft, kw, width, channels, padValue);
        let src = imageRow + (<usize>((ox0 * strideW - padLeft) * channels) << 2);
        let dst = first + <usize>ox0 * fieldBytes;
        if (kernelRow == 3)
          for (let ox = ox0; ox < ox1; ox++, src += stepBytes, dst += fieldBytes) {
            v128.store64_lane(dst, v128.load64_zero(src), 0);
            store<f32>(dst, load<f32>(src, 8), 8);
          }
        else for (let ox = ox0; ox < ox1; ox++, src += stepBytes, dst += fieldBytes) copyRun(src, dst, kernelRow);
        for (let ox = ox1; ox < outW; ox++) edgeRun(imageRow, first + <usize>ox * fieldBytes, ox * strideW - padLeft, kw, width, channels, padValue);
      }
    }
}

/** One kernel row of a field that starts at image column ix0 and reaches past an edge: pad, copy, pad. */
function edgeRun(imageRow: usize, colAt: usize, ix0: i32, kw: i32, width: i32, channels: i32, padValue: f32): void {
  const kx0 = min(kw, max(0, -ix0));
  const kx1 = max(kx0, min(kw, width - ix0));
  const inside = (kx1 - kx0) * channels;
  const insideAt = colAt + (<usize>(kx0 * channels) << 2);
  fillRun(colAt, kx0 * channels, padValue);
  copyRun(imageRow + (<usize>((ix0 + kx0) * channels) << 2), insideAt, inside);
  fillRun(insideAt + (<usize>inside << 2), (kw - kx1) * channels, padValue);
}

/** cols ← the receptive fields of the channels-last image x (the geometry block at g says how). */
export function im2col(x: usize, g: usize, padValue: f32, cols: usize): void {
  walk(x, cols, changetype<Geometry>(g), true, padValue);
}

/** out ← zeros, then every column entry added where im2col read it (the adjoint of im2col). */
export function col2im(cols: usize, g: usize, out: usize): void {
  const G = changetype<Geometry>(g);
  const size = G.batch * G.height * G.width * G.channels;
  fillRun(out, size, 0);
  walk(out, cols, G, false, 0);
}

/**
 * Where tap (ky, kx) of output pixel (n, oy, ox) reads its first channel in the image, as a float
 * index, or −1 on the padding.
 */
// @ts-ignore: decorator
@inline function tapAt(G: Geometry, n: i32, oy: i32, ox: i32, ky: i32, kx: i32): i32 {
  const iy = oy * G.strideH - G.padTop + ky * G.dilationH;
  const ix = ox * G.strideW - G.padLeft + kx * G.dilationW;
  const height = G.height;
  const width = G.width;
  if (iy < 0 || iy >= height || ix < 0 || ix >= width) return -1;
  return ((n * height + iy) * width + ix) * G.channels;
}

/** out ← each window's largest value per channel (see js/pool.ts: padding −∞, a NaN wins and stays). */
export function maxPool(x: usize, g: usize, out: usize): void {
  const G = changetype<Geometry>(g);
  const c = G.channels;
  const kh = G.kernelH;
  const kw = G.kernelW;
  let o: usize = out;
  for (let n = 0; n < G.batch; n++)
    for (let oy = 0; oy < G.outH; oy++)
      for (let ox = 0; ox < G.outW; ox++, o += <usize>c << 2) {
        fillRun(o, c, -Infinity);
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const base = tapAt(G, n, oy, ox, ky, kx);
            for (let ch = 0; ch < c; ch++) {
              const v: f32 = base < 0 ? -Infinity : load<f32>(x + (<usize>(base + ch) << 2));
              const at = o + (<usize>ch << 2);
              if (v > load<f32>(at) || v != v) store<f32>(at, v);
            }
          }
      }
}

/**
 * dx ← the gradient of maxPool for gOut (see js/pool.ts): per window and channel, share = 1/count of
 * maximal entries (0/count for the others), times gOut, each rounded to float32, added tap by tap.
 * `scratch` holds 3·channels floats.
 */
export function maxPoolBackward(x: usize, y: usize, gOut: usize, g: usize, dx: usize, scratch: usize): void {
  const G = changetype<Geometry>(g);
  const c = G.channels;
  const kh = G.kernelH;
  const kw = G.kernelW;
  const counts = scratch;
  const toMax = scratch + (<usize>c << 2);
  const toOther = toMax + (<usize>c << 2);
  fillRun(dx, G.batch * G.height * G.width * c, 0);
  let o: usize = 0;
  for (let n = 0; n < G.batch; n++)
    for (let oy = 0; oy < G.outH; oy++)
      for (let ox = 0; ox < G.outW; ox++, o += <usize>c << 2) {
        fillRun(counts, c, 0);
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const base = tapAt(G, n, oy, ox, ky, kx);
            for (let ch = 0; ch < c; ch++) {
              const v: f32 = base < 0 ? -Infinity : load<f32>(x + (<usize>(base + ch) << 2));
              if (v == load<f32>(y + o + (<usize>ch << 2))) {
                const at = counts + (<usize>ch << 2);
                store<f32>(at, load<f32>(at) + 1);
              }
            }
          }
        for (let ch = 0; ch < c; ch++) {
          const at = <usize>ch << 2;
          const count = load<f32>(counts + at);
          const gv = load<f32>(gOut + o + at);
          store<f32>(toMax + at, (<f32>1 / count) * gv);
          store<f32>(toOther + at, (<f32>0 / count) * gv);
        }
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const base = tapAt(G, n, oy, ox, ky, kx);
            if (base < 0) continue;
            for (let ch = 0; ch < c; ch++) {
              const at = <usize>ch << 2;
              const px = dx + (<usize>(base + ch) << 2);
              const v = load<f32>(x + (<usize>(base + ch) << 2));
              const share = v == load<f32>(y + o + at) ? load<f32>(toMax + at) : load<f32>(toOther + at);
              store<f32>(px, load<f32>(px) + share);
            }
          }
      }
}

/** v + bias (when `hasBias`), then relu (when `relu`): biasAct's arithmetic (kernels/linear.ts), four lanes. */
// @ts-ignore: decorator
@inline function epilogue(v: v128, bias: usize, hasBias: bool, relu: bool): v128 {
  if (hasBias) v = f32x4.add(v, v128.load(bias));
  return relu ? f32x4.pmax(f32x4.splat(0), v) : v;
}

/** One float of `epilogue`. */
// @ts-ignore: decorator
@inline function epilogue1(v: f32, bias: usize, hasBias: bool, relu: bool): f32 {
  if (hasBias) v += load<f32>(bias);
  return relu ? (v > 0 ? v : 0) : v;
}

/**
 * dst [cols × rows] ← the transpose of src [rows × cols] (row stride `ld` floats), each value then plus
 * bias[its row of src] and through relu as biasAct does them: a convolution's output from the
 * filters-by-fields product (see host conv-fused.ts). 4×4 blocks in registers.
 */
export function transposeInto(src: usize, ld: i32, rows: i32, cols: i32, dst: usize, bias: usize, hasBias: bool, relu: bool): void {
  const srcRow = <usize>ld << 2;
  const dstRow = <usize>rows << 2;
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const from = src + <usize>i * srcRow;
    const b = bias + (<usize>i << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const at = from + (<usize>j << 2);
      const r0 = v128.load(at), r1 = v128.load(at + srcRow);
      const r2 = v128.load(at + 2 * srcRow), r3 = v128.load(at + 3 * srcRow);
      const a01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), a23 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const b01 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), b23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const to = dst + <usize>j * dstRow + (<usize>i << 2);
      v128.store(to, epilogue(v128.shuffle<f32>(a01, b01, 0, 1, 4, 5), b, hasBias, relu));
      v128.store(to + dstRow, epilogue(v128.shuffle<f32>(a01, b01, 2, 3, 6, 7), b, hasBias, relu));
      v128.store(to + 2 * dstRow, epilogue(v128.shuffle<f32>(a23, b23, 0, 1, 4, 5), b, hasBias, relu));
      v128.store(to + 3 * dstRow, epilogue(v128.shuffle<f32>(a23, b23, 2, 3, 6, 7), b, hasBias, relu));
    }
    for (; j < cols; j++) {
      const at = from + (<usize>j << 2);
      let lanes = f32x4.splat(load<f32>(at));
      lanes = f32x4.replace_lane(lanes, 1, load<f32>(at + srcRow));
      lanes = f32x4.replace_lane(lanes, 2, load<f32>(at + 2 * srcRow));
      lanes = f32x4.replace_lane(lanes, 3, load<f32>(at + 3 * srcRow));
      v128.store(dst + <usize>j * dstRow + (<usize>i << 2), epilogue(lanes, b, hasBias, relu));
    }
  }
  for (; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const v = load<f32>(src + <usize>i * srcRow + (<usize>j << 2));
      store<f32>(dst + <usize>j * dstRow + (<usize>i << 2), epilogue1(v, bias + (<usize>i << 2), hasBias, relu));
    }
}
