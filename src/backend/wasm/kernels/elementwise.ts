// AssemblyScript, compiled by scripts/build-wasm.mjs (not by tsc). Element-wise arithmetic on two
// arrays of one shape (a residual add, relu's gradient g·step(x)): each element one float32 operation,
// which is the value js's float64 operation rounded to float32 gives (53 ≥ 2·24 + 2), so js's bits.

/** out[i] ← a[i] op b[i] for n floats, op 0 add, 1 sub, 2 mul, 3 div. */
export function sameShape(op: i32, a: usize, b: usize, out: usize, n: i32): void {
  if (op === 0) sameShapeLoop(a, b, out, n, 0);
  else if (op === 1) sameShapeLoop(a, b, out, n, 1);
  else if (op === 2) sameShapeLoop(a, b, out, n, 2);
  else sameShapeLoop(a, b, out, n, 3);
}

/** The loop for one op; inlined at each call with a constant op, so each copy keeps only its own. */
// @ts-ignore: decorator
@inline function sameShapeLoop(a: usize, b: usize, out: usize, n: i32, op: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const x = v128.load(a + at), y = v128.load(b + at);
    v128.store(out + at, op === 0 ? f32x4.add(x, y) : op === 1 ? f32x4.sub(x, y) : op === 2 ? f32x4.mul(x, y) : f32x4.div(x, y));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const x = load<f32>(a + at), y = load<f32>(b + at);
    store<f32>(out + at, op === 0 ? x + y : op === 1 ? x - y : op === 2 ? x * y : x / y);
  }
}
