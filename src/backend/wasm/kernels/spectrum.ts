// AssemblyScript, compiled by scripts/build-wasm.mjs (not by tsc). The effective rank's two loops (the
// health monitor takes it every tenth check): a centred row Gram and cyclic Jacobi rotations, in float64,
// operation for operation as units/statistics.ts and units/linalg.ts compute them, so the values are the
// same to the last bit (wasm rounds each float64 operation as js does; no fused multiply-add). Compiled
// ahead, they cost the same on a run's first check as on its thousandth, where the js loops run
// interpreted for the first few calls (20–60 ms for a 32-row, 256-unit layer, against ~1 ms warm).

/**
 * gram (m×m, f64) ← C·Cᵀ, C the first m rows of h (f32, row-major, `units` wide) with each unit's mean over
 * them removed; mean (units f64) and centred (m·units f64) are scratch. Each mean is a sum over the rows in
 * order, each Gram entry a sum over the units in order, four entries at a time, as centredRowGram.
 */
export function centredRowGram(
  h: usize,
  m: i32,
  units: i32,
  mean: usize,
  centred: usize,
  gram: usize,
): void {
  for (let u = 0; u < units; u++) store<f64>(mean + (<usize>u << 3), 0);
  for (let r = 0; r < m; r++)
    for (let u = 0; u < units; u++) {
      const at = mean + (<usize>u << 3);
      store<f64>(at, load<f64>(at) + <f64>load<f32>(h + (<usize>(r * units + u) << 2)));
    }
  for (let u = 0; u < units; u++) {
    const at = mean + (<usize>u << 3);
    store<f64>(at, load<f64>(at) / <f64>m);
  }
  for (let r = 0; r < m; r++)
    for (let u = 0; u < units; u++) {
      const o = <usize>(r * units + u);
      store<f64>(centred + (o << 3), <f64>load<f32>(h + (o << 2)) - load<f64>(mean + (<usize>u << 3)));
    }
  for (let i = 0; i < m; i++) {
    let j = i;
    for (; j + 4 <= m; j += 4) gramBlock(centred, units, m, i, j, gram);
    for (; j < m; j++) {
      const s = rowDot(centred, units, i, j);
      store<f64>(gram + (<usize>(i * m + j) << 3), s);
      store<f64>(gram + (<usize>(j * m + i) << 3), s);
    }
  }
}

function gramBlock(c: usize, units: i32, m: i32, i: i32, j: i32, gram: usize): void {
  const oi = c + (<usize>(i * units) << 3);
  const o0 = c + (<usize>(j * units) << 3);
  const o1 = o0 + (<usize>units << 3);
  const o2 = o1 + (<usize>units << 3);
  const o3 = o2 + (<usize>units << 3);
  let s0: f64 = 0;
  let s1: f64 = 0;
  let s2: f64 = 0;
  let s3: f64 = 0;
  for (let u = 0; u < units; u++) {
    const at = <usize>u << 3;
    const x = load<f64>(oi + at);
    s0 += x * load<f64>(o0 + at);
    s1 += x * load<f64>(o1 + at);
    s2 += x * load<f64>(o2 + at);
    s3 += x * load<f64>(o3 + at);
  }
  store<f64>(gram + (<usize>(i * m + j) << 3), s0);
  store<f64>(gram + (<usize>(j * m + i) << 3), s0);
  store<f64>(gram + (<usize>(i * m + j + 1) << 3), s1);
  store<f64>(gram + (<usize>((j + 1) * m + i) << 3), s1);
  store<f64>(gram + (<usize>(i * m + j + 2) << 3), s2);
  store<f64>(gram + (<usize>((j + 2) * m + i) << 3), s2);
  store<f64>(gram + (<usize>(i * m + j + 3) << 3), s3);
  store<f64>(gram + (<usize>((j + 3) * m + i) << 3), s3);
}

function rowDot(c: usize, units: i32, i: i32, j: i32): f64 {
  let s: f64 = 0;
  for (let u = 0; u < units; u++)
    s += load<f64>(c + (<usize>(i * units + u) << 3)) * load<f64>(c + (<usize>(j * units + u) << 3));
  return s;
}

/**
 * Rotate the symmetric n×n matrix a (f64, row-major) to diagonal form in place by cyclic Jacobi sweeps
 * (Golub & Van Loan, Algorithm 8.4.2), at most 100, until the squared off-diagonal sum is below 1e-30:
 * each rotation's columns, then its rows, as units/linalg.ts's jacobi without eigenvectors.
 */
export function jacobiDiagonalize(a: usize, n: i32): void {
  for (let sweep = 0; sweep < 100; sweep++) {
    let off: f64 = 0;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const x = load<f64>(a + (<usize>(p * n + q) << 3));
        off += x * x;
      }
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = load<f64>(a + (<usize>(p * n + q) << 3));
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (load<f64>(a + (<usize>(q * n + q) << 3)) - load<f64>(a + (<usize>(p * n + p) << 3))) / (2 * apq);
        // Math.sign(theta || 1) in js: 1 for 0 and NaN.
        const sign: f64 = theta < 0 ? -1 : 1;
        const t = sign / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        const step = <usize>n << 3;
        for (let kp = a + (<usize>p << 3), kq = a + (<usize>q << 3), end = a + (<usize>(n * n) << 3); kp < end; kp += step, kq += step) {
          const mkp = load<f64>(kp);
          const mkq = load<f64>(kq);
          store<f64>(kp, c * mkp - s * mkq);
          store<f64>(kq, s * mkp + c * mkq);
        }
        const rowP = a + (<usize>(p * n) << 3);
        const rowQ = a + (<usize>(q * n) << 3);
        for (let k: usize = 0, bytes = <usize>n << 3; k < bytes; k += 8) {
          const mpk = load<f64>(rowP + k);
          const mqk = load<f64>(rowQ + k);
          store<f64>(rowP + k, c * mpk - s * mqk);
          store<f64>(rowQ + k, s * mpk + c * mqk);
        }
      }
    }
  }
}
