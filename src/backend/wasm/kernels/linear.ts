// AssemblyScript, compiled by scripts/build-wasm.mjs (not by tsc). The element-wise ends of a dense
// layer, fused so that each is one pass over the m×n block: the forward epilogue (bias, relu) applied to
// the product before it leaves the kernels' memory, and the backward prologue (relu's mask, the bias
// gradient's column sums).

/**
 * C[i][j] ← act(C[i][j] + bias[j]) for the m×n block of C (row stride ldc floats); `hasBias` 0 skips the
 * add, `relu` 1 applies v > 0 ? v : 0 (pmax(0, v): NaN and −0 give +0, as the js relu does).
 */
export function biasAct(c: usize, bias: usize, m: i32, n: i32, ldc: i32, hasBias: bool, relu: bool): void {
  const zero = f32x4.splat(0);
  for (let i = 0; i < m; i++) {
    const row = c + ((<usize>i * <usize>ldc) << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const at = <usize>j << 2;
      let v = v128.load(row + at);
      if (hasBias) v = f32x4.add(v, v128.load(bias + at));
      if (relu) v = f32x4.pmax(zero, v);
      v128.store(row + at, v);
    }
    for (; j < n; j++) {
      const at = <usize>j << 2;
      let v = load<f32>(row + at);
      if (hasBias) v += load<f32>(bias + at);
      if (relu) v = v > 0 ? v : 0;
      store<f32>(row + at, v);
    }
  }
}

/**
 * From the gradient g and the output y of a dense layer (both m×n): dz ← g·(y > 0 ? 1 : 0) when `relu`
 * (else dz is g and is not written), and, when `wantDb`, db[j] ← Σ_i dz[i][j] in float32, row by row.
 */
export function linearBackward(g: usize, y: usize, dz: usize, db: usize, m: i32, n: i32, relu: bool, wantDb: bool): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  if (wantDb) memory.fill(db, 0, <usize>n << 2);
  for (let i = 0; i < m; i++) {
    const off = (<usize>i * <usize>n) << 2;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const at = off + (<usize>j << 2);
      let v = v128.load(g + at);
      if (relu) {
        v = f32x4.mul(v, v128.and(f32x4.gt(v128.load(y + at), zero), one));
        v128.store(dz + at, v);
      }
      if (wantDb) {
        const d = db + (<usize>j << 2);
        v128.store(d, f32x4.add(v128.load(d), v));
      }
    }
    for (; j < n; j++) {
      const at = off + (<usize>j << 2);
      let v = load<f32>(g + at);
      if (relu) {
        v = v * (load<f32>(y + at) > 0 ? <f32>1 : <f32>0);
        store<f32>(dz + at, v);
      }
      if (wantDb) {
        const d = db + (<usize>j << 2);
        store<f32>(d, load<f32>(d) + v);
      }
    }
  }
}
