// AssemblyScript: products with a single row on the left (batch-1 training), read straight from the
// stored layouts. Packing would copy all of B to use it once; here each element of B is loaded once.

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline function lanesSum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** c[0..n) = a[0..k) · B, with B stored k×n (row p holds B[p, 0..n)). */
export function rowTimesMatrix(a: usize, b: usize, c: usize, n: i32, k: i32): void {
  const ldb = <usize>n << 2;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let row = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      const av = v128.load32_splat(a + (<usize>p << 2));
      c0 = madd(av, v128.load(row), c0);
      c1 = madd(av, v128.load(row, 16), c1);
      c2 = madd(av, v128.load(row, 32), c2);
      c3 = madd(av, v128.load(row, 48), c3);
      row += ldb;
    }
    const to = c + (<usize>j << 2);
    v128.store(to, c0); v128.store(to, c1, 16); v128.store(to, c2, 32); v128.store(to, c3, 48);
  }
  for (; j + 4 <= n; j += 4) {
    let c0 = f32x4.splat(0);
    let row = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      c0 = madd(v128.load32_splat(a + (<usize>p << 2)), v128.load(row), c0);
      row += ldb;
    }
    v128.store(c + (<usize>j << 2), c0);
  }
  for (; j < n; j++) {
    let s: f32 = 0;
    for (let p = 0; p < k; p++) s += load<f32>(a + (<usize>p << 2)) * load<f32>(b + ((<usize>p * <usize>n + <usize>j) << 2));
    store<f32>(c + (<usize>j << 2), s);
  }
}

/** c[j] = a[0..k) · B[j, 0..k) for j < n, with B stored n×k: one dot product per row of B. */
export function matrixTimesRow(a: usize, b: usize, c: usize, n: i32, k: i32): void {
  const ldb = <usize>k << 2;
  const k4 = k & ~3;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const r0 = b + <usize>j * ldb, r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let p = 0; p < k4; p += 4) {
      const at = <usize>p << 2;
      const av = v128.load(a + at);
      s0 = madd(av, v128.load(r0 + at), s0);
      s1 = madd(av, v128.load(r1 + at), s1);
      s2 = madd(av, v128.load(r2 + at), s2);
      s3 = madd(av, v128.load(r3 + at), s3);
    }
    let t0 = lanesSum(s0), t1 = lanesSum(s1), t2 = lanesSum(s2), t3 = lanesSum(s3);
    for (let p = k4; p < k; p++) {
      const at = <usize>p << 2;
      const x = load<f32>(a + at);
      t0 += x * load<f32>(r0 + at); t1 += x * load<f32>(r1 + at); t2 += x * load<f32>(r2 + at); t3 += x * load<f32>(r3 + at);
    }
    const to = c + (<usize>j << 2);
    store<f32>(to, t0); store<f32>(to, t1, 4); store<f32>(to, t2, 8); store<f32>(to, t3, 12);
  }
  for (; j < n; j++) {
    const r = b + <usize>j * ldb;
    let s = f32x4.splat(0);
    for (let p = 0; p < k4; p += 4) s = madd(v128.load(a + (<usize>p << 2)), v128.load(r + (<usize>p << 2)), s);
    let t = lanesSum(s);
    for (let p = k4; p < k; p++) t += load<f32>(a + (<usize>p << 2)) * load<f32>(r + (<usize>p << 2));
    store<f32>(c + (<usize>j << 2), t);
  }
}
