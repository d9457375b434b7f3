import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Adwin,
  type AdwinOptions,
  adwinBound,
  type DriftDetector,
  driftDetectorFromState,
  PageHinkley,
} from "../src/learner/drift.js";
import { ConfigError, DataError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

/** A seeded 0/1 error stream whose error rate is `p0` before row `at` (0-based) and `p1` from it on. */
function errors(seed: number, n: number, p0: number, p1 = p0, at = n): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => (rng.next() < (i < at ? p0 : p1) ? 1 : 0));
}

/** The detector's statistic after each value. */
function statistics(ph: PageHinkley, values: number[]): number[] {
  return values.map((x) => {
    ph.update(x);
    return ph.statistic;
  });
}

/** The 1-based steps at which `detector` fires on `values`. */
function alarms(detector: DriftDetector, values: number[]): number[] {
  const out: number[] = [];
  values.forEach((v, i) => detector.update(v) && out.push(i + 1));
  return out;
}

test("Page-Hinkley: the statistic of a small case, computed by hand", () => {
  // delta 0.5, alpha 1 on 1, 2, 3, 4: running means 1, 1.5, 2, 2.5; deviations 0, .5, 1, 1.5;
  // m_t = Σ(dev − .5) = −.5, −.5, 0, 1; min(0, m_1..m_t) = −.5 from t = 1 on; statistic 0, 0, .5, 1.5.
  const ph = new PageHinkley({ delta: 0.5, alpha: 1, minInstances: 1, threshold: 10 });
  assert.deepEqual(statistics(ph, [1, 2, 3, 4]), [0, 0, 0.5, 1.5]);
  // alpha 0.5: m_t = .5·m_{t−1} + dev − .5 = −.5, −.25, .375, 1.1875; statistic 0, .25, .875, 1.6875.
  const decayed = new PageHinkley({ delta: 0.5, alpha: 0.5, minInstances: 1, threshold: 10 });
  assert.deepEqual(statistics(decayed, [1, 2, 3, 4]), [0, 0.25, 0.875, 1.6875]);
});

test("Page-Hinkley: fires when the statistic passes the threshold, with its evidence", () => {
  const atThreshold = new PageHinkley({ delta: 0.5, alpha: 1, minInstances: 1, threshold: 1.5 });
  assert.deepEqual(alarms(atThreshold, [1, 2, 3, 4]), [], "1.5 is not above 1.5");
  const ph = new PageHinkley({ delta: 0.5, alpha: 1, minInstances: 1, threshold: 1.4 });
  assert.deepEqual(alarms(ph, [1, 2, 3, 4]), [4]);
  // The minimum −.5 was first reached after value 1: before = [1], after = [2, 3, 4].
  const e = ph.last;
  assert.ok(e);
  assert.deepEqual(
    [e.step, e.windowBefore, e.meanBefore, e.windowAfter, e.meanAfter, e.statistic, e.threshold],
    [4, 1, 1, 3, 3, 1.5, 1.4],
  );
  assert.match(
    e.message,
    /at value 4 the mean rose from 1 \(1 values\) to 3 \(last 3\); statistic 1.5 > threshold 1.4/,
  );
  assert.equal(ph.statistic, 0, "the sums restart after a detection");
  // minInstances holds the alarm back.
  assert.deepEqual(
    alarms(new PageHinkley({ delta: 0.5, alpha: 1, minInstances: 5, threshold: 1.4 }), [1, 2, 3, 4]),
    [],
  );
});

test("Page-Hinkley: mode chooses which direction alarms", () => {
  const falling = [...Array(200).fill(5), ...Array(200).fill(0)];
  assert.deepEqual(alarms(new PageHinkley({ threshold: 20 }), falling), [], "up ignores a fall");
  const down = alarms(new PageHinkley({ threshold: 20, mode: "down" }), falling);
  assert.equal(down.length, 1);
  assert.ok(down[0] > 200 && down[0] <= 215, `fall caught at ${down[0]}`);
  assert.deepEqual(alarms(new PageHinkley({ threshold: 20, mode: "both" }), falling), down);
});

/** Over seeds 1–10, an error rate 0.2 → 0.6 at row 5,000: each seed's delay, and alarms before the change. */
function shiftDelays(make: () => DriftDetector): { delays: number[]; early: number } {
  const delays: number[] = [];
  let early = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const fired = alarms(make(), errors(seed, 10_000, 0.2, 0.6, 5_000));
    early += fired.filter((s) => s <= 5_000).length;
    delays.push((fired.find((s) => s > 5_000) ?? Number.POSITIVE_INFINITY) - 5_000);
  }
  return { delays, early };
}

test("Page-Hinkley: an error rate 0.2 → 0.6 at row 5,000 is caught within 300 rows", () => {
  // Measured with the defaults: delays 150–265 rows (mean ~227), no alarm before the change.
  const { delays, early } = shiftDelays(() => new PageHinkley());
  assert.ok(Math.max(...delays) <= 300, `delays ${delays}`);
  assert.equal(early, 0);
});

test("Page-Hinkley and ADWIN: at most 1 false alarm per 100,000 stationary Bernoulli rows", () => {
  // Measured: 0 alarms for both detectors with their defaults on each of these streams.
  for (const [p, seed] of [
    [0.1, 1],
    [0.3, 2],
    [0.5, 3],
    [0.9, 4],
  ]) {
    const stream = errors(seed, 100_000, p);
    assert.ok(alarms(new PageHinkley(), stream).length <= 1, `Page-Hinkley, p = ${p}`);
    assert.ok(alarms(new Adwin(), stream).length <= 1, `ADWIN, p = ${p}`);
  }
});

test("ADWIN: the cut bound, computed by hand", () => {
  // n0 = n1 = 50 of a window of 100, variance 0.25, delta 0.002, minWindowLength 5:
  // d = ln(2·ln 100 / 0.002) = ln(4605.170) = 8.434935; 1/m = 2/46 = 0.0434783;
  // sqrt(2 · 0.0434783 · 0.25 · 8.434935) = 0.428215; (2/3) · 8.434935 · 0.0434783 = 0.244491.
  assert.ok(Math.abs(adwinBound(50, 50, 100, 0.25, 0.002, 5) - 0.672706) < 2e-6);
  // A window of 20 values, ten 0s then ten 10s, minWindowLength 1: variance 25, d = ln(2·ln 20/0.002)
  // = 8.004944, 1/m = 0.2: bound sqrt(0.4·25·8.004944) + (2/3)·8.004944·0.2 = 8.947035 + 1.067326 =
  // 10.014361, just above the difference of means, 10: no cut yet.
  assert.ok(Math.abs(adwinBound(10, 10, 20, 25, 0.002, 1) - 10.014361) < 2e-6);
  const adwin = new Adwin({ clock: 1, maxBuckets: 64, minWindowLength: 1, gracePeriod: 0 });
  assert.deepEqual(alarms(adwin, [...Array(10).fill(0), ...Array(10).fill(10)]), []);
});

/**
 * ADWIN on a window small enough that no buckets merge (maxBuckets ≥ width, clock 1): every boundary is
 * tested, so a brute force over plain arrays, straight from the paper, must agree value by value.
 */
function bruteForceAdwin(values: number[], o: Required<AdwinOptions>): { fired: number[]; widths: number[] } {
  const window: number[] = [];
  const fired: number[] = [];
  const widths: number[] = [];
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const cutExists = (): boolean => {
    const w = window.length;
    const mu = mean(window);
    const variance = window.reduce((s, v) => s + (v - mu) ** 2, 0) / w;
    for (let n0 = o.minWindowLength; n0 <= w - o.minWindowLength; n0++) {
      const diff = Math.abs(mean(window.slice(0, n0)) - mean(window.slice(n0)));
      if (diff > adwinBound(n0, w - n0, w, variance, o.delta, o.minWindowLength)) return true;
    }
    return false;
  };
  values.forEach((v, i) => {
    window.push(v);
    let cut = false;
    if (window.length > o.gracePeriod) {
      while (cutExists()) {
        cut = true;
        window.shift();
      }
    }
    if (cut) fired.push(i + 1);
    widths.push(window.length);
  });
  return { fired, widths };
}

test("ADWIN: cuts exactly where a brute force over the exact window does", () => {
  const o = { delta: 0.002, clock: 1, maxBuckets: 64, minWindowLength: 5, gracePeriod: 10 };
  const rng = new Rng(7);
  const values = Array.from({ length: 60 }, (_, i) => (i < 30 ? 0 : 10) + rng.normal());
  const reference = bruteForceAdwin(values, o);
  const adwin = new Adwin(o);
  const widths: number[] = [];
  let firstEvidence = adwin.last;
  const fired = values.flatMap((v, i) => {
    const f = adwin.update(v);
    widths.push(adwin.width);
    firstEvidence ??= adwin.last;
    return f ? [i + 1] : [];
  });
  assert.ok(reference.fired.length > 0, "the reference sees the shift");
  assert.deepEqual(fired, reference.fired);
  assert.deepEqual(widths, reference.widths);
  // The first cut's evidence: the dropped oldest values and the window kept, each with its mean.
  const e = firstEvidence;
  assert.ok(e && e.step === fired[0] && e.statistic > e.threshold, e?.message);
  const seen = values.slice(fired[0] - 1 - reference.widths[fired[0] - 2], fired[0]);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.equal(e.windowBefore + e.windowAfter, seen.length);
  assert.ok(Math.abs(e.meanBefore - mean(seen.slice(0, e.windowBefore))) < 1e-12);
  assert.ok(Math.abs(e.meanAfter - mean(seen.slice(e.windowBefore))) < 1e-12);
});

test("ADWIN: an error rate 0.2 → 0.6 at row 5,000 is caught within 100 rows", () => {
  // Measured with the defaults: 56 rows for 9 seeds, 88 for one (it tests every 32 values); one false
  // alarm in the 50,000 rows before the change (seed 10, row 2,624).
  const { delays, early } = shiftDelays(() => new Adwin());
  assert.ok(Math.max(...delays) <= 100, `delays ${delays}`);
  assert.ok(early <= 1, `${early} alarms before the change`);
  const adwin = new Adwin();
  alarms(adwin, errors(1, 5_100, 0.2, 0.6, 5_000));
  // The first cut drops only the oldest values; the kept window still mixes both rates.
  const e = adwin.last;
  assert.ok(e && e.step > 5_000 && e.meanAfter > e.meanBefore && e.statistic > e.threshold, e?.message);
});

test("ADWIN: the window stays logarithmic in memory", () => {
  const adwin = new Adwin();
  alarms(adwin, errors(3, 50_000, 0.3));
  const state = adwin.getState();
  const buckets = state.rows.reduce((s, r) => s + r.totals.length, 0);
  assert.equal(adwin.width, 50_000, "no cut on a stationary stream");
  assert.ok(buckets <= 5 * Math.ceil(Math.log2(50_000)), `${buckets} buckets`);
  assert.equal(
    state.rows.reduce((s, r, i) => s + r.totals.length * 2 ** i, 0),
    50_000,
  );
});

test("state round trip mid-stream: a fresh detector continues identically", () => {
  const stream = errors(11, 6_000, 0.1, 0.5, 3_000).map((e, i) => e + 0.01 * (i % 7));
  for (const make of [() => new PageHinkley(), () => new Adwin(), () => new Adwin({ clock: 1 })]) {
    const whole = make();
    const wholeAlarms = alarms(whole, stream);
    const first = make();
    const headAlarms = alarms(first, stream.slice(0, 2_990));
    const resumed = driftDetectorFromState(JSON.parse(JSON.stringify(first.getState())));
    const tailAlarms = alarms(resumed, stream.slice(2_990)).map((s) => s + 2_990);
    assert.ok(wholeAlarms.length > 0, `${whole.kind} sees the shift`);
    assert.deepEqual([...headAlarms, ...tailAlarms], wholeAlarms, whole.kind);
    assert.deepEqual(resumed.getState(), whole.getState(), whole.kind);
  }
});

test("bad options and values are refused with the field named", () => {
  assert.throws(
    () => new PageHinkley({ threshold: 0 }),
    (e: Error) => e instanceof ConfigError && /pageHinkley.threshold/.test(e.message),
  );
  assert.throws(
    () => new Adwin({ delta: 1 }),
    (e: Error) => e instanceof ConfigError && /adwin.delta: must be > 0 and < 1/.test(e.message),
  );
  assert.throws(() => new Adwin({ bogus: 1 } as AdwinOptions), /adwin.bogus: unknown key/);
  const ph = new PageHinkley();
  ph.update(1);
  assert.throws(
    () => ph.update(Number.NaN),
    (e: Error) => e instanceof DataError && /value 2 must be a finite number, got NaN/.test(e.message),
  );
});
