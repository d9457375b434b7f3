/**
 * The fair-fight part of the benchmark: warm every contestant up, size its rounds to a common duration,
 * then run rounds in turn (A B C, B C A, C A B, …) until a time budget is spent, so that the noise of a
 * shared machine falls on all of them alike. The figure reported is the median round.
 */

/** Work done in one timed run: `work` units (samples, floating-point operations) in `seconds`. */
export interface Timing {
  work: number;
  seconds: number;
}

export interface Contestant {
  /** Label in the table, e.g. "tfjs wasm (optimizer.minimize)". */
  readonly name: string;
  /** The contestant the ratios are taken against (Homeostat). */
  readonly reference?: boolean;
  /**
   * Who this is, for the ratio summary: "Homeostat" for our own contestants, else the peer's family
   * ("tfjs cpu", "tfjs wasm", "PyTorch"); each Homeostat contestant is compared with each family's best.
   */
  readonly peer?: string;
  /**
   * Run `reps` repetitions of the workload and time them. A contestant times itself, so that untimed
   * preparation (switching the tfjs backend) stays outside the measurement.
   */
  run(reps: number): Promise<Timing>;
}

export interface Workload {
  readonly name: string;
  /** Unit of the rate, e.g. "samples/s". */
  readonly unit: string;
  /** Rate = work / seconds ÷ `scale` (1e9 turns flop/s into GFLOP/s). */
  readonly scale: number;
  readonly contestants: readonly Contestant[];
}

export interface Schedule {
  /** Seconds of warm-up per contestant (at least one run of one repetition). */
  warmupSeconds: number;
  /** Target duration of one round; the repetitions per round are chosen from the warm-up. */
  roundSeconds: number;
  /** Seconds of interleaved rounds for the whole workload, after warm-up. */
  budgetSeconds: number;
  /** Rounds per contestant even when that overruns the budget. */
  minRounds: number;
}

export interface Result {
  workload: string;
  contestant: string;
  unit: string;
  /** Median rate over the rounds. */
  median: number;
  /** Half the interquartile range of the rounds' rates, relative to the median (printed as ±). */
  spread: number;
  rounds: number;
  repsPerRound: number;
  /** Whether this is the contestant the ratios are taken against. */
  reference: boolean;
  /** The contestant's family ("Homeostat", "tfjs wasm", …). */
  peer: string;
  /** Homeostat's median ÷ this contestant's median (above 1: Homeostat is faster); 1 for Homeostat. */
  ratio: number | null;
}

const now = (): number => performance.now() / 1000;

/** Seconds since `start`, a `performance.now()` reading (for contestants timing themselves). */
export const secondsSince = (start: number): number => (performance.now() - start) / 1000;

/** Warm up, calibrate and run one workload's contestants in interleaved rounds. */
export async function measure(
  workload: Workload,
  schedule: Schedule,
  log: (line: string) => void = () => {},
): Promise<Result[]> {
  const { contestants } = workload;
  const reps: number[] = [];
  for (const c of contestants) {
    const perRep = await warmUp(c, schedule.warmupSeconds);
    reps.push(Math.max(1, Math.round(schedule.roundSeconds / perRep)));
    log(`  warmed up ${c.name}: ${fmtRate(perRep * 1000)} ms per repetition, ${reps.at(-1)} per round`);
  }

  const rates: number[][] = contestants.map(() => []);
  const start = now();
  for (let round = 0; now() - start < schedule.budgetSeconds || round < schedule.minRounds; round++) {
    // Rotating the order keeps any one contestant from always following the same neighbour (its GC debt, its cache footprint).
    for (let j = 0; j < contestants.length; j++) {
      const i = (round + j) % contestants.length;
      const t = await contestants[i].run(reps[i]);
      rates[i].push(t.work / t.seconds / workload.scale);
    }
  }

  const medians = rates.map((r) => quantile(r, 0.5));
  const refIndex = contestants.findIndex((c) => c.reference);
  return contestants.map((c, i) => ({
    workload: workload.name,
    contestant: c.name,
    unit: workload.unit,
    median: medians[i],
    spread: (quantile(rates[i], 0.75) - quantile(rates[i], 0.25)) / 2 / medians[i],
    rounds: rates[i].length,
    repsPerRound: reps[i],
    reference: i === refIndex,
    peer: c.peer ?? c.name,
    ratio: refIndex < 0 ? null : medians[refIndex] / medians[i],
  }));
}

/** Run single repetitions until `seconds` have passed (at least once); return the seconds per repetition. */
async function warmUp(c: Contestant, seconds: number): Promise<number> {
  const start = now();
  const times: number[] = [];
  while (times.length === 0 || now() - start < seconds) {
    const t = await c.run(1);
    times.push(t.seconds);
  }
  // The first runs carry compilation and allocation; the later half is what a round will see.
  // (A single run, for a slow contestant, is only used to size its rounds.)
  return quantile(times.slice(Math.floor(times.length / 2)), 0.5);
}

/** Linear-interpolated quantile of unsorted values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** A rate with three significant digits (thousands separated), or fewer decimals when large. */
export function fmtRate(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x) || 1)));
  return x.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** The results as an aligned plain-text table. */
export function formatTable(results: readonly Result[]): string {
  const header = ["workload", "contestant", "rate", "unit", "spread", "rounds", "Homeostat ÷ peer"];
  const rows = results.map((r) => [
    r.workload,
    r.contestant,
    fmtRate(r.median),
    r.unit,
    `±${(r.spread * 100).toFixed(1)}%`,
    String(r.rounds),
    r.ratio === null ? "" : r.reference ? "—" : `${r.ratio.toFixed(2)}×`,
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j].length)));
  const numeric = new Set([2, 4, 5, 6]);
  const line = (cells: string[]): string =>
    cells
      .map((cell, j) => (numeric.has(j) ? cell.padStart(widths[j]) : cell.padEnd(widths[j])))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * For each workload, each Homeostat contestant's rate divided by the best rate of each peer family
 * (above 1: Homeostat is faster), as an aligned table.
 */
export function formatRatios(results: readonly Result[]): string {
  const families = [...new Set(results.filter((r) => r.peer !== "Homeostat").map((r) => r.peer))];
  const header = ["workload", "Homeostat", ...families.map((f) => `÷ best ${f}`)];
  const rows: string[][] = [];
  for (const workload of [...new Set(results.map((r) => r.workload))]) {
    const here = results.filter((r) => r.workload === workload);
    const best = (f: string): number => Math.max(...here.filter((r) => r.peer === f).map((r) => r.median));
    for (const own of here.filter((r) => r.peer === "Homeostat")) {
      rows.push([
        workload,
        own.contestant,
        ...families.map((f) => {
          const b = best(f);
          return Number.isFinite(b) ? `${(own.median / b).toFixed(2)}×` : "";
        }),
      ]);
    }
  }
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, j) => (j >= 2 ? cell.padStart(widths[j]) : cell.padEnd(widths[j])))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** The same ratios as data, for the JSON report: workload → Homeostat contestant → family → ratio. */
export function ratiosByPeer(
  results: readonly Result[],
): Record<string, Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, Record<string, number>>> = {};
  for (const r of results.filter((x) => x.peer === "Homeostat")) {
    const here = results.filter((x) => x.workload === r.workload && x.peer !== "Homeostat");
    const families = [...new Set(here.map((x) => x.peer))];
    (out[r.workload] ??= {})[r.contestant] = Object.fromEntries(
      families.map((f) => [f, r.median / Math.max(...here.filter((x) => x.peer === f).map((x) => x.median))]),
    );
  }
  return out;
}

/** The thread count a contestant's name states ("…, 2 threads", "(1 thread)"), or null. */
function threadsOf(name: string): number | null {
  const m = name.match(/(\d+) threads?\b/);
  return m ? Number(m[1]) : null;
}

/**
 * Per workload, as a markdown table: the ceiling's rate (where the workload ran it), each Homeostat
 * contestant as a share of it, two threads ÷ one, and each Homeostat contestant ÷ the PyTorch
 * contestant on the same threads (above 1: Homeostat is faster). Empty cells where a figure is missing.
 */
export function formatSummary(results: readonly Result[], ceilingPeer = "ceiling"): string {
  const rows: string[][] = [];
  for (const workload of [...new Set(results.map((r) => r.workload))]) {
    const here = results.filter((r) => r.workload === workload);
    const ceiling = here.find((r) => r.peer === ceilingPeer)?.median;
    const ours = here.filter((r) => r.peer === "Homeostat" && threadsOf(r.contestant) !== null);
    const on = (t: number, peer: string) =>
      here.find((r) => r.peer === peer && threadsOf(r.contestant) === t)?.median;
    const cell = (x: number | undefined, f: (v: number) => string): string =>
      x === undefined || !Number.isFinite(x) ? "" : f(x);
    const [one, two] = [on(1, "Homeostat"), on(2, "Homeostat")];
    rows.push([
      workload,
      `${one === undefined ? "—" : fmtRate(one)} / ${two === undefined ? "—" : fmtRate(two)} ${here[0].unit}`,
      cell(ceiling, (c) => fmtRate(c)),
      cell(ceiling && one && one / ceiling, (v) => `${(100 * v).toFixed(0)}%`),
      cell(ceiling && two && two / ceiling, (v) => `${(100 * v).toFixed(0)}%`),
      cell(one && two && two / one, (v) => `${v.toFixed(2)}×`),
      ...[1, 2].map((t) => {
        const torch = on(t, "PyTorch");
        const own = ours.find((r) => threadsOf(r.contestant) === t)?.median;
        return cell(torch && own && own / torch, (v) => `${v.toFixed(2)}×`);
      }),
    ]);
  }
  const header = [
    "workload",
    "wasm 1 / 2 threads",
    "ceiling (GFLOP/s)",
    "1 thread ÷ ceiling",
    "2 threads ÷ ceiling",
    "2 threads ÷ 1",
    "÷ PyTorch 1 thread",
    "÷ PyTorch 2 threads",
  ];
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * All results as markdown tables (the doc's): one row per workload and one column per contestant, a
 * new table wherever the contestants change (the MLP's, the products', the conv layers', the CNNs').
 */
export function formatMarkdown(results: readonly Result[]): string {
  const workloads = [...new Set(results.map((r) => r.workload))];
  const namesOf = (w: string): string[] => results.filter((r) => r.workload === w).map((r) => r.contestant);
  const groups: string[][] = [];
  for (const w of workloads) {
    const last = groups.at(-1);
    if (last && namesOf(last[0]).join("\n") === namesOf(w).join("\n")) last.push(w);
    else groups.push([w]);
  }
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  const table = (ws: string[]): string => {
    const names = namesOf(ws[0]);
    const rows = ws.map((w) => {
      const here = results.filter((r) => r.workload === w);
      return line([
        `${w} (${here[0].unit})`,
        ...here.map((r) => {
          const spread = r.spread > 0.05 ? ` (±${(100 * r.spread).toFixed(0)}%)` : "";
          return `${r.reference ? "**" : ""}${fmtRate(r.median)}${r.reference ? "**" : ""}${spread}`;
        }),
      ]);
    });
    return [line(["workload", ...names]), line(["---", ...names.map(() => "---")]), ...rows].join("\n");
  };
  return groups.map(table).join("\n\n");
}
