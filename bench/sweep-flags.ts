/**
 * The flags of the learner sweeps (live-bench-sweep.ts, live-bench-return.ts): `--name value` pairs
 * from a known list, and a learner config given as JSON in `--config`.
 */
import { ConfigError } from "../src/tensor/errors.js";

/**
 * `--name value` pairs by name; a name not in `known` is a ConfigError naming it.
 *
 * @example
 * flagPairs(["--seed", "2"], ["seed"]).get("seed"); // "2"
 */
export function flagPairs(argv: readonly string[], known: readonly string[]): Map<string, string> {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) raw.set(argv[i].replace(/^--/, ""), argv[i + 1] ?? "");
  const bad = [...raw.keys()].find((k) => !known.includes(k));
  if (bad !== undefined) throw new ConfigError(`--${bad}: unknown option`, { field: `--${bad}` });
  return raw;
}

/**
 * The JSON object of `--config` (`{}` where it is absent); text that is not JSON is a ConfigError.
 *
 * @example
 * configFlag(new Map([["config", '{"memory":2000}']])); // { memory: 2000 }
 */
export function configFlag(raw: ReadonlyMap<string, string>): Record<string, unknown> {
  try {
    return JSON.parse(raw.get("config") ?? "{}");
  } catch (e) {
    throw new ConfigError(`--config: not JSON (${(e as Error).message})`, { field: "--config" });
  }
}
