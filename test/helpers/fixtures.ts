/**
 * Locating test fixtures. Tests run from compiled JavaScript (dist/test/, or a scratch outDir such
 * as /tmp/nn-dist/test/) while the fixtures stay in the source tree, so a fixture is searched for by
 * walking up from this module's own location first and then from the working directory.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The absolute path of `test/fixtures/<parts…>`: the first directory, walking up from this file and
 * then from `process.cwd()`, that holds that path.
 *
 * @example
 * fixturePath("optim", "optim.json") // "/work/main/test/fixtures/optim/optim.json"
 */
export function fixturePath(...parts: string[]): string {
  const rel = join("test", "fixtures", ...parts);
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, rel))) return join(dir, rel);
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(
    `fixture ${rel} not found in any directory above ${starts.join(" or ")}; run the tests from the repository (or below it)`,
  );
}

/** Parse the JSON fixture `test/fixtures/<parts…>` (see `fixturePath`). */
export function readJsonFixture<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(fixturePath(...parts), "utf8")) as T;
}

/** Nested arrays of numbers, as the fixture scripts write tensors. */
export type Nested = number | Nested[];

export function flatten(values: Nested): number[] {
  return Array.isArray(values) ? values.flatMap(flatten) : [values];
}

/** |a − b| ≤ rtol · max(|b|, floor): relative error, with an absolute floor near zero. */
export interface Tolerance {
  rtol: number;
  floor: number;
}

/**
 * Assert that `actual` matches the reference `expected` element by element within `tol`; a size
 * mismatch or a non-finite value always fails. Returns the worst |a − b| / (rtol · max(|b|, floor)),
 * at most 1 when it passes, so a test can report how much margin is left.
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: Nested,
  tol: Tolerance,
  where: string,
): number {
  const want = flatten(expected);
  if (actual.length !== want.length)
    throw new Error(`${where}: ${actual.length} values, the reference has ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const a = actual[i]!;
    const b = want[i]!;
    const allowed = tol.rtol * Math.max(Math.abs(b), tol.floor);
    const err = Math.abs(a - b);
    if (!(Number.isFinite(a) && err <= allowed)) {
      throw new Error(
        `${where}[${i}]: got ${a}, reference ${b} (|difference| ${err.toExponential(2)} > ${allowed.toExponential(2)})`,
      );
    }
    worst = Math.max(worst, err / allowed);
  }
  return worst;
}
