import { parseArgs, type ParseArgsConfig } from "node:util";
import { HomeostatError } from "../tensor/errors.js";

/** A command line the CLI cannot act on: exit code 2 with the message and a pointer to --help. */
export class UsageError extends HomeostatError {}

type Options = NonNullable<ParseArgsConfig["options"]>;
/** The flag values parseArgs returns for these options: booleans and strings, absent when not given. */
export type ParsedValues<O extends Options> = {
  [K in keyof O]?: O[K] extends { type: "boolean" } ? boolean : string;
};

/** Parse `argv` strictly: unknown flags and missing values are usage errors, not exceptions. */
export function parseFlags<O extends Options>(
  argv: string[],
  options: O,
  allowPositionals = 0,
): { values: ParsedValues<O>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals: allowPositionals > 0 });
    if (r.positionals.length > allowPositionals)
      throw new UsageError(`unexpected argument "${r.positionals[allowPositionals]}"`);
    return { values: r.values as ParsedValues<O>, positionals: r.positionals };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
}

/** A numeric flag value, or a usage error naming the flag. */
export function numberFlag(
  value: string | undefined,
  flag: string,
  opts: { integer?: boolean; min?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (
    !Number.isFinite(v) ||
    (opts.integer && !Number.isInteger(v)) ||
    (opts.min !== undefined && v < opts.min)
  ) {
    throw new UsageError(
      `--${flag}: expected ${opts.integer ? "an integer" : "a number"}${opts.min !== undefined ? ` ≥ ${opts.min}` : ""}, got "${value}"`,
    );
  }
  return v;
}
