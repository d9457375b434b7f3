// The relaxed-SIMD kernels divide Adam's √v by the bias correction c2 as a multiply by 1/c2 corrected
// with fused multiply-adds (kernels/adam.ts, `divideByConstant`), the plain kernels with the divider:
// the same bits by Markstein's theorem, checked here on the update u for every step's c2 from the
// first to past the step where c2 reaches 1 in float32, over moments of every scale.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type LoadedKernels, loadKernels, readVariantFile } from "../src/backend/wasm/loader.js";
import { Rng } from "../src/tensor/rng.js";

/** The variant `name` alone, or null where this runtime does not validate it. */
const variant = (name: string): LoadedKernels | null =>
  loadKernels((n) => (n === name ? readVariantFile(n) : null));

const relaxed = variant("kernels-relaxed");
const plain = variant("kernels");

const N = 2048;
/** Gradients and moments over ~20 binades each, so √v and its quotient take mantissas of every kind. */
const start = (() => {
  const rng = new Rng(7);
  const u = Float32Array.from({ length: N }, () => (rng.next() - 0.5) * 2 ** (-24 * rng.next()));
  const mu = Float32Array.from({ length: N }, () => (rng.next() - 0.5) * 2 ** (-20 * rng.next()));
  const nu = Float32Array.from({ length: N }, (_, i) =>
    i % 13 === 0 ? 0 : rng.next() * 2 ** (-60 * rng.next()),
  );
  return [u, mu, nu];
})();

/** u, mu and nu at the start of `k`'s heap, set to `start`'s values. */
function operands(k: LoadedKernels): Float32Array[] {
  const at = k.exports.heapBase();
  if (k.memory.buffer.byteLength < at + 3 * N * 4) k.memory.grow(1);
  return start.map((a, i) => {
    const view = new Float32Array(k.memory.buffer, at + i * N * 4, N);
    view.set(a);
    return view;
  });
}

test("Adam's update divides by c2 with the same bits on relaxed and plain SIMD, at every step's c2", {
  skip: relaxed && plain ? false : "this runtime does not validate both the relaxed and the plain kernels",
}, () => {
  const beta1 = 0.9;
  const beta2 = 0.999;
  let compared = 0;
  // Every step up to 17,500 (c2 < 1 in float32 until ~16,600).
  for (let t = 1; t <= 17_500; t++) {
    const c1 = 1 - beta1 ** t;
    const c2 = Math.sqrt(1 - beta2 ** t);
    const [ur, , nur] = operands(relaxed!);
    const [up] = operands(plain!);
    for (const k of [relaxed!, plain!]) {
      const at = k.exports.heapBase();
      k.exports.adamAxpy(at, at + N * 4, at + 2 * N * 4, 0, N, beta1, beta2, 1e-8, c1, c2, 0);
    }
    for (let i = 0; i < N; i++) {
      if (!Object.is(ur![i], up![i]))
        assert.fail(`t ${t} (c2 ${c2}): u[${i}] ${ur![i]} relaxed vs ${up![i]} plain (v ${nur![i]})`);
    }
    compared += N;
  }
  assert.equal(compared, 17_500 * N);
});
