/**
 * Reading a run record back: every field a report draws is checked, and a problem is a DataError that
 * names the field and what was expected (the CLI adds the file name). Nulls in numeric arrays (NaN and
 * Infinity written as JSON) come back as NaN.
 */
import { DataError } from "../tensor/errors.js";
import { describe } from "../tensor/fields.js";
import { parseLiveRecord } from "./live-record.js";
import { RUN_RECORD_FORMAT, RUN_RECORD_VERSION, type RunRecord, type StepSeries } from "./record.js";

type Obj = Record<string, unknown>;

const fail = (field: string, expected: string, got: unknown): never => {
  throw new DataError(
    `${field}: expected ${expected}, got ${got === undefined ? "nothing (the field is missing)" : describe(got)}`,
    { field },
  );
};

function object(v: unknown, field: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(field, "an object", v);
  return v as Obj;
}

function array(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) fail(field, "an array", v);
  return v as unknown[];
}

/** A number, or null for a value that was NaN or infinite when written. */
function num(v: unknown, field: string): number {
  if (v === null) return NaN;
  if (typeof v !== "number") fail(field, "a number (or null)", v);
  return v as number;
}

function numbers(v: unknown, field: string, length?: number): number[] {
  const a = array(v, field);
  if (length !== undefined && a.length !== length) {
    throw new DataError(`${field}: expected ${length} entries (as many as steps.step), got ${a.length}`, {
      field,
    });
  }
  return a.map((x, i) => num(x, `${field}[${i}]`));
}

function str(v: unknown, field: string): string {
  if (typeof v !== "string") fail(field, "a string", v);
  return v as string;
}

function metrics(v: unknown, field: string): Obj {
  const m = object(v, field);
  for (const [k, x] of Object.entries(m)) m[k] = num(x, `${field}.${k}`);
  return m;
}

function steps(v: unknown): StepSeries {
  const s = object(v, "steps");
  const step = numbers(s.step, "steps.step");
  const out: StepSeries = {
    step,
    loss: numbers(s.loss, "steps.loss", step.length),
    lr: numbers(s.lr, "steps.lr", step.length),
  };
  if (s.lossMin !== undefined) out.lossMin = numbers(s.lossMin, "steps.lossMin", step.length);
  if (s.lossMax !== undefined) out.lossMax = numbers(s.lossMax, "steps.lossMax", step.length);
  return out;
}

/**
 * Check a parsed JSON value as a run record and return it typed.
 *
 * @example
 * import { readFileSync } from "node:fs";
 * const record = parseRunRecord(JSON.parse(readFileSync("model.record.json", "utf8")));
 */
export function parseRunRecord(raw: unknown): RunRecord {
  const r = object(raw, "record");
  if (r.format !== RUN_RECORD_FORMAT)
    fail("format", `"${RUN_RECORD_FORMAT}" (is this a run record written by homeostat?)`, r.format);
  if (r.version !== RUN_RECORD_VERSION) fail("version", `${RUN_RECORD_VERSION}`, r.version);
  const record: RunRecord = {
    format: RUN_RECORD_FORMAT,
    version: RUN_RECORD_VERSION,
    command: str(r.command, "command"),
    label: r.label === undefined ? undefined : str(r.label, "label"),
    createdAt: r.createdAt === undefined ? "" : str(r.createdAt, "createdAt"),
    config: r.config ?? {},
    steps: steps(r.steps),
    epochs: array(r.epochs ?? [], "epochs").map((e, i) => {
      const f = `epochs[${i}]`;
      const o = object(e, f);
      return {
        epoch: num(o.epoch, `${f}.epoch`),
        steps: num(o.steps, `${f}.steps`),
        train: metrics(o.train, `${f}.train`) as unknown as RunRecord["epochs"][number]["train"],
        validation:
          o.validation === undefined || o.validation === null
            ? undefined
            : (metrics(o.validation, `${f}.validation`) as never),
        lr: num(o.lr, `${f}.lr`),
        seconds: num(o.seconds ?? null, `${f}.seconds`),
      };
    }),
    test: r.test === undefined || r.test === null ? undefined : (metrics(r.test, "test") as never),
    summary: r.summary === undefined ? undefined : object(r.summary, "summary"),
  };
  if (r.health !== undefined && r.health !== null) record.health = health(r.health);
  if (r.continual !== undefined && r.continual !== null) record.continual = continual(r.continual);
  if (r.online !== undefined && r.online !== null) record.online = online(r.online);
  if (r.live !== undefined && r.live !== null) record.live = parseLiveRecord(r.live);
  if (r.taskEnds !== undefined && r.taskEnds !== null) record.taskEnds = numbers(r.taskEnds, "taskEnds");
  return record;
}

function health(v: unknown): NonNullable<RunRecord["health"]> {
  const h = object(v, "health");
  const points = array(h.points ?? [], "health.points").map((p, i) => {
    const f = `health.points[${i}]`;
    const o = object(p, f);
    const layers = array(o.layers, `${f}.layers`).map((l, k) => {
      const lf = `${f}.layers[${k}]`;
      const lo = object(l, lf);
      const out: Obj = {
        layer: str(lo.layer, `${lf}.layer`),
        activation: lo.activation === undefined ? "" : str(lo.activation, `${lf}.activation`),
      };
      for (const [key, x] of Object.entries(lo))
        if (key !== "layer" && key !== "activation") out[key] = num(x, `${lf}.${key}`);
      return out;
    });
    return {
      step: num(o.step, `${f}.step`),
      loss: num(o.loss ?? null, `${f}.loss`),
      gradNorm: num(o.gradNorm ?? null, `${f}.gradNorm`),
      layers,
    };
  });
  const events = array(h.events ?? [], "health.events").map((e, i) => {
    const f = `health.events[${i}]`;
    const o = object(e, f);
    return {
      step: num(o.step, `${f}.step`),
      kind: str(o.kind, `${f}.kind`),
      layer: o.layer === undefined || o.layer === null ? undefined : str(o.layer, `${f}.layer`),
      evidence: o.evidence === undefined ? {} : metrics(o.evidence, `${f}.evidence`),
      diagnosis: str(o.diagnosis, `${f}.diagnosis`),
      action: o.action === undefined ? "" : str(o.action, `${f}.action`),
      repaired: o.repaired === true,
    };
  });
  return {
    checkEvery: h.checkEvery === undefined ? NaN : num(h.checkEvery, "health.checkEvery"),
    points,
    events,
  } as never;
}

function online(v: unknown): NonNullable<RunRecord["online"]> {
  const o = object(v, "online");
  return {
    strategy: str(o.strategy, "online.strategy"),
    stream: str(o.stream, "online.stream"),
    homeostasis: array(o.homeostasis ?? [], "online.homeostasis").map((h, i) =>
      str(h, `online.homeostasis[${i}]`),
    ),
    accuracy: numbers(o.accuracy, "online.accuracy"),
    balance: array(o.balance, "online.balance").map((layers, i) =>
      array(layers, `online.balance[${i}]`).map((l, k) => {
        const f = `online.balance[${i}][${k}]`;
        const b = object(l, f);
        return {
          layer: str(b.layer, `${f}.layer`),
          deadFraction: num(b.deadFraction, `${f}.deadFraction`),
          dormantFraction: num(b.dormantFraction, `${f}.dormantFraction`),
          effectiveRank: num(b.effectiveRank, `${f}.effectiveRank`),
          meanAbsWeight: num(b.meanAbsWeight, `${f}.meanAbsWeight`),
        };
      }),
    ),
  };
}

function continual(v: unknown): NonNullable<RunRecord["continual"]> {
  const c = object(v, "continual");
  const tasks = array(c.tasks, "continual.tasks").map((t, i) => str(t, `continual.tasks[${i}]`));
  const R = array(c.R, "continual.R").map((row, i) => numbers(row, `continual.R[${i}]`));
  R.forEach((row, i) => {
    if (row.length !== tasks.length)
      throw new DataError(
        `continual.R[${i}]: expected ${tasks.length} accuracies (one per task), got ${row.length}`,
        { field: `continual.R[${i}]` },
      );
  });
  const f = c.forgetting === undefined ? undefined : object(c.forgetting, "continual.forgetting");
  return {
    strategy: str(c.strategy, "continual.strategy"),
    stream: str(c.stream, "continual.stream"),
    scenario: str(c.scenario, "continual.scenario"),
    tasks,
    R,
    b: c.b === undefined ? [] : numbers(c.b, "continual.b"),
    ACC: num(c.ACC, "continual.ACC"),
    BWT: num(c.BWT, "continual.BWT"),
    FWT: num(c.FWT, "continual.FWT"),
    forgetting: f && {
      maxOverEarlier: num(f.maxOverEarlier, "continual.forgetting.maxOverEarlier"),
      justTrainedMinusLast: num(f.justTrainedMinusLast, "continual.forgetting.justTrainedMinusLast"),
    },
    jointACC: c.jointACC === undefined || c.jointACC === null ? null : num(c.jointACC, "continual.jointACC"),
  };
}
