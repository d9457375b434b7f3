import { ConfigError } from "./errors.js";

/**
 * Small readers for JSON option objects that fail with a message naming the field and what was
 * expected. Shared by the run config, layer configs and model-file headers.
 */
export type Obj = Record<string, unknown>;

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

export function expectObject(v: unknown, field: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ConfigError(`${field}: expected an object, got ${describe(v)}`, { field });
  }
  return v as Obj;
}

/** Every key of `obj` must be one of `allowed`. */
export function checkKeys(obj: Obj, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const f = field ? `${field}.${key}` : key;
      throw new ConfigError(`${f}: unknown key; expected one of ${allowed.join(", ")}`, { field: f });
    }
  }
}

const join = (field: string, key: string): string => (field ? `${field}.${key}` : key);

export interface NumberRule {
  min?: number;
  max?: number;
  /** Exclusive lower bound. */
  above?: number;
  integer?: boolean;
}

export function optNumber(obj: Obj, key: string, field: string, rule: NumberRule = {}): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  const f = join(field, key);
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new ConfigError(`${f}: expected a number, got ${describe(v)}`, { field: f });
  if (rule.integer && !Number.isInteger(v))
    throw new ConfigError(`${f}: expected an integer, got ${v}`, { field: f });
  if (rule.min !== undefined && v < rule.min)
    throw new ConfigError(`${f}: expected a number ≥ ${rule.min}, got ${v}`, { field: f });
  if (rule.max !== undefined && v > rule.max)
    throw new ConfigError(`${f}: expected a number ≤ ${rule.max}, got ${v}`, { field: f });
  if (rule.above !== undefined && !(v > rule.above))
    throw new ConfigError(`${f}: expected a number > ${rule.above}, got ${v}`, { field: f });
  return v;
}

export function reqNumber(obj: Obj, key: string, field: string, rule: NumberRule = {}): number {
  const v = optNumber(obj, key, field, rule);
  if (v === undefined) throw missing(field, key, "a number");
  return v;
}

export function optString(
  obj: Obj,
  key: string,
  field: string,
  choices?: readonly string[],
): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  const f = join(field, key);
  if (typeof v !== "string")
    throw new ConfigError(`${f}: expected a string, got ${describe(v)}`, { field: f });
  if (choices && !choices.includes(v))
    throw new ConfigError(
      `${f}: expected one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, got ${JSON.stringify(v)}`,
      { field: f },
    );
  return v;
}

export function reqString(obj: Obj, key: string, field: string, choices?: readonly string[]): string {
  const v = optString(obj, key, field, choices);
  if (v === undefined) throw missing(field, key, choices ? `one of ${choices.join(", ")}` : "a string");
  return v;
}

export function optBoolean(obj: Obj, key: string, field: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  const f = join(field, key);
  if (typeof v !== "boolean")
    throw new ConfigError(`${f}: expected true or false, got ${describe(v)}`, { field: f });
  return v;
}

export function missing(field: string, key: string, what: string): ConfigError {
  const f = join(field, key);
  return new ConfigError(`${f}: missing; expected ${what}`, { field: f });
}

/**
 * `{"type": one of `types`, …numeric options}` (or just the type's name as a string): the type and its
 * options, each checked by the type's rule. Unknown keys and bad values are ConfigErrors naming the field.
 *
 * @example
 * parseTyped({ type: "ewc", lambda: 10 }, "strategy", { ewc: { lambda: { min: 0 } } }); // { type: "ewc", options: { lambda: 10 } }
 */
export function parseTyped<T extends string>(
  raw: unknown,
  field: string,
  specs: Record<T, Record<string, NumberRule>>,
): { type: T; options: Record<string, number> } {
  const types = Object.keys(specs) as T[];
  const obj: Obj = typeof raw === "string" ? { type: raw } : expectObject(raw, field);
  const type = optString(obj, "type", field, types) as T | undefined;
  if (type === undefined)
    throw new ConfigError(`${field}.type: missing; expected one of ${types.join(", ")}`, {
      field: `${field}.type`,
    });
  const rules = specs[type];
  checkKeys(obj, ["type", ...Object.keys(rules)], field);
  const options: Record<string, number> = {};
  for (const [key, rule] of Object.entries(rules)) {
    const v = optNumber(obj, key, field, rule);
    if (v !== undefined) options[key] = v;
  }
  return { type, options };
}
