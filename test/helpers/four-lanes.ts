/**
 * The order of every sum of squares a health check takes, written out plainly as the tests' reference:
 * lane k adds the values at i ≡ k (mod 4) in index order; the sum is (lane 0 + lane 2) + (lane 1 + lane 3).
 */
export function fourLanes(values: readonly number[]): number {
  const lane = (k: number) => values.filter((_, i) => i % 4 === k).reduce((sum, v) => sum + v, 0);
  return lane(0) + lane(2) + (lane(1) + lane(3));
}
