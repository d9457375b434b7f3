/**
 * The one option vocabulary of every registry (layers, losses, optimisers, schedules, detectors,
 * regulators, strategies). One small declarative spec per option object gives every user mistake
 * (unknown key, wrong type, out of range, missing) the same kind of message, naming the dotted field
 * (`optimizer.momentum`) and what was expected — whether the options came from a JSON run config or
 * from a direct call in plain JavaScript — and the same spec prints `--help` and the docs' tables.
 */
import { ConfigError } from "../tensor/errors.js";

/** A numeric option: finite, optionally bounded, optionally an integer; required when it has no default. */
export interface NumberSpec {
  readonly kind: "number";
  /** One sentence for `--help` and the docs. */
  readonly doc?: string;
  readonly default?: number;
  /** May be left out, with no default: the kind decides (e.g. "the layer's own set point"). */
  readonly optional?: boolean;
  readonly min?: number;
  /** Exclude `min` itself (e.g. `gamma > 0`). */
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly maxExclusive?: boolean;
  readonly integer?: boolean;
}
export interface BooleanSpec {
  readonly kind: "boolean";
  readonly doc?: string;
  readonly default?: boolean;
}
export interface ChoiceSpec<V extends string = string> {
  readonly kind: "choice";
  readonly doc?: string;
  readonly values: readonly V[];
  readonly default?: V;
}
/** Where a name option's values come from: a registry (the user's kinds included) or any list like it. */
export interface NameSource {
  /** The kind in words, for messages and help ("activation"). */
  readonly what: string;
  has(name: string): boolean;
  names(): readonly string[];
}
/**
 * A name from a registry that can grow (a Dense layer's activation): checked against the registry when
 * the options are parsed, so a kind the user registered is accepted like a built-in one.
 */
export interface NameSpec {
  readonly kind: "name";
  readonly doc?: string;
  readonly of: NameSource;
  readonly default?: string;
  /** Absent is allowed and stays absent (the factory chooses, e.g. an initialiser to suit the activation). */
  readonly optional?: true;
}
/**
 * A non-empty array whose items another part checks (a block's own layers): passed through as given, and
 * the kind's `create` parses each item with its own field (`model.layers[1].layers[0]`).
 */
export interface ListSpec {
  readonly kind: "list";
  readonly doc?: string;
  /** What the items are, plural, in words ("layers"), for messages and help. */
  readonly items: string;
  /** Lists have no default: a block without its layers means nothing. */
  readonly default?: undefined;
}
/**
 * Integers, one or a list (a kernel size 3 or [3, 5], a shape [28, 28, 1]); with `length`, a list must
 * have that many and one number stands for all of them.
 */
export interface IntegersSpec {
  readonly kind: "integers";
  readonly doc?: string;
  readonly default?: number | readonly number[];
  readonly length?: number;
  readonly min?: number;
  /** May be left out, with no default: the kind decides (a pooling's stride: its window). */
  readonly optional?: true;
}
/**
 * One option of a kind's schema: a number, a boolean, a choice among values, a name in another registry,
 * a list of items another part checks, or integers.
 */
export type OptionSpec = NumberSpec | BooleanSpec | ChoiceSpec | NameSpec | ListSpec | IntegersSpec;
/** The options of one kind, by key. */
export type OptionSchema = Readonly<Record<string, OptionSpec>>;

/** The checked value one option spec describes. */
type OptionValue<S extends OptionSpec> = S extends NumberSpec
  ? number
  : S extends BooleanSpec
    ? boolean
    : S extends ChoiceSpec<infer V>
      ? V
      : S extends ListSpec
        ? unknown[]
        : S extends IntegersSpec
          ? number[]
          : never;

/** The checked option values a spec describes (an optional number without a default may be undefined). */
export type ParsedOptions<S extends Record<string, OptionSpec>> = {
  -readonly [K in keyof S]: S[K] extends { readonly optional: true }
    ? OptionValue<S[K]> | undefined
    : OptionValue<S[K]>;
};

/** Describe a value the user gave, for "expected X, got Y" messages. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/** Check that `raw` is a plain object; the start of every option parse. */
export function expectObject(raw: unknown, field: string): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${field}: expected an object, got ${describeValue(raw)}`, { field });
  }
  return raw as Record<string, unknown>;
}

/**
 * Check `raw` against `spec`, fill in defaults, and return the values.
 * `passThrough` names keys another layer handles (the `type` discriminator); they are allowed and
 * listed as expected, but not returned.
 *
 * @example
 * const o = parseOptions({ lr: 0.1 }, { lr: { kind: "number", min: 0 }, nesterov: { kind: "boolean", default: false } }, "sgd");
 * // o = { lr: 0.1, nesterov: false }
 */
export function parseOptions<S extends Record<string, OptionSpec>>(
  raw: unknown,
  spec: S,
  field: string,
  passThrough: readonly string[] = [],
): ParsedOptions<S> {
  const obj = expectObject(raw, field);
  const known = [...passThrough, ...Object.keys(spec)];
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      throw new ConfigError(`${field}.${key}: unknown key; expected one of ${known.join(", ")}`, {
        field: `${field}.${key}`,
      });
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    const given = obj[key];
    const value = given === undefined ? s.default : given;
    if (value === undefined) {
      if ((s.kind === "name" || s.kind === "number" || s.kind === "integers") && s.optional) continue;
      throw new ConfigError(`${field}.${key}: required; expected ${expectation(s)}`, {
        field: `${field}.${key}`,
      });
    }
    out[key] = checkValue(value, s, `${field}.${key}`);
  }
  return out as ParsedOptions<S>;
}

/** What a value of this option must be, in words ("a finite number", "one of \"a\", \"b\""). */
export function expectation(s: OptionSpec): string {
  if (s.kind === "boolean") return "true or false";
  if (s.kind === "list") return `a non-empty array of ${s.items}`;
  if (s.kind === "integers")
    return `${s.length ? `an integer or ${s.length}` : "a list of"} integers${s.min === undefined ? "" : ` ≥ ${s.min}`}`;
  if (s.kind === "choice") return `one of ${s.values.map((v) => JSON.stringify(v)).join(", ")}`;
  if (s.kind === "name")
    return `one of ${s.of
      .names()
      .map((v) => JSON.stringify(v))
      .join(", ")}`;
  return s.integer ? "an integer" : "a finite number";
}

function checkValue(value: unknown, s: OptionSpec, field: string): unknown {
  const wrong = () =>
    new ConfigError(`${field}: expected ${expectation(s)}, got ${describeValue(value)}`, { field });
  if (s.kind === "boolean") {
    if (typeof value !== "boolean") throw wrong();
    return value;
  }
  if (s.kind === "choice") {
    if (typeof value !== "string" || !s.values.includes(value)) throw wrong();
    return value;
  }
  if (s.kind === "list") {
    if (!Array.isArray(value) || value.length === 0) throw wrong();
    return value;
  }
  if (s.kind === "name") {
    if (typeof value !== "string" || !s.of.has(value)) throw wrong();
    return value;
  }
  if (s.kind === "integers") {
    const list = typeof value === "number" && s.length ? new Array<number>(s.length).fill(value) : value;
    const ok = (v: unknown) => Number.isInteger(v) && (s.min === undefined || (v as number) >= s.min);
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      (s.length && list.length !== s.length) ||
      !list.every(ok)
    )
      throw wrong();
    return [...list];
  }
  if (typeof value !== "number" || !Number.isFinite(value) || (s.integer && !Number.isInteger(value)))
    throw wrong();
  const tooLow = s.min !== undefined && (s.minExclusive ? value <= s.min : value < s.min);
  const tooHigh = s.max !== undefined && (s.maxExclusive ? value >= s.max : value > s.max);
  if (tooLow || tooHigh) {
    const lo = s.min === undefined ? "" : `${s.minExclusive ? ">" : "≥"} ${s.min}`;
    const hi = s.max === undefined ? "" : `${s.maxExclusive ? "<" : "≤"} ${s.max}`;
    throw new ConfigError(`${field}: must be ${[lo, hi].filter(Boolean).join(" and ")}, got ${value}`, {
      field,
    });
  }
  return value;
}

/** Raise a ConfigError for a rule that ties two options together (e.g. Nesterov needs momentum). */
export function configRule(ok: boolean, field: string, message: string): void {
  if (!ok) throw new ConfigError(`${field}: ${message}`, { field });
}

/** The admissible range of a numeric option in words ("> 0 and ≤ 1"), or "" when unbounded. */
export function rangeText(s: OptionSpec): string {
  if (s.kind !== "number") return "";
  const lo = s.min === undefined ? "" : `${s.minExclusive ? ">" : "≥"} ${s.min}`;
  const hi = s.max === undefined ? "" : `${s.maxExclusive ? "<" : "≤"} ${s.max}`;
  return [lo, hi].filter(Boolean).join(" and ");
}

function takesText(s: OptionSpec): string {
  if (s.kind === "number") return s.integer ? "integer" : "number";
  if (s.kind === "choice") return expectation(s);
  // A registry's names can grow, so help names the registry rather than listing them.
  if (s.kind === "name") return `${s.of.what} name`;
  if (s.kind === "list") return `array of ${s.items}`;
  if (s.kind === "integers") return expectation(s);
  return s.kind;
}

/** One row per option (key, what it takes, default, doc): the source of `--help` and the docs' tables. */
export function describeOptions(
  schema: OptionSchema,
): { key: string; takes: string; default: string; doc: string }[] {
  return Object.entries(schema).map(([key, s]) => ({
    key,
    takes: [takesText(s), rangeText(s)].filter(Boolean).join(" "),
    default:
      s.default !== undefined
        ? JSON.stringify(s.default)
        : (s.kind === "name" || s.kind === "number" || s.kind === "integers") && s.optional
          ? "optional"
          : "required",
    doc: s.doc ?? "",
  }));
}
