/**
 * What the help pages share: the page type, and the phrases several pages use (the common flags, the
 * CSV rules). help-pages.ts gathers the pages; help.ts lays them out.
 */

/** One flag: how it is written (short form, long form, what it takes) and what it does, default included. */
export interface FlagDoc {
  flag: string;
  doc: string;
}

/** The flags every command but bench accepts (`common` in commands.ts). */
export type CommonFlag = "json" | "quiet" | "seed" | "backend" | "threads" | "help";

export interface HelpPage {
  /** Ways to call it, without the leading "homeostat ". */
  usage: string[];
  /** What the command does, a paragraph. */
  about: string;
  flags: FlagDoc[];
  /** What each common flag does here; absent: the command does not take the common flags (bench). */
  common?: Record<CommonFlag, string>;
  /** Titled blocks: input formats, human output, --json output. Bodies are laid out as written. */
  sections: [title: string, body: string][];
  exit: string;
  examples: string[];
}

export const JSON_FLAG =
  "print one JSON object summarising the result as the last line of standard output, instead of the human lines";
export const QUIET = "print nothing but errors (and the JSON line with --json)";
export const NO_EFFECT = "accepted by every command; no effect here";
export const KERNELS = {
  backend: "where the kernels run: auto (wasm where WebAssembly SIMD loads, else js), js or wasm",
  threads:
    "threads for large matrix products on the wasm backend, an integer ≥ 1 (default: the cores available)",
};
export const HELP = "this page";
/** eval and predict: they run a saved model, by default where it was trained. */
export const MODEL_COMMON: Record<CommonFlag, string> = {
  json: JSON_FLAG,
  quiet: QUIET,
  seed: NO_EFFECT,
  backend: `${KERNELS.backend} (default: where the model was trained)`,
  threads: KERNELS.threads,
  help: HELP,
};
/** report, export and import: no kernels run, nothing is random. */
export const NO_KERNELS_COMMON: Record<CommonFlag, string> = {
  json: JSON_FLAG,
  quiet: QUIET,
  seed: NO_EFFECT,
  backend: NO_EFFECT,
  threads: NO_EFFECT,
  help: HELP,
};

export const CSV_RULES = `  CSV (RFC 4180): comma-separated, quoted fields ("" escapes a quote); a UTF-8 byte-order mark,
  CRLF line ends and blank lines are fine. Numbers are read strictly: decimal or exponent notation,
  quoted or not ("5.1"). An empty cell or NaN is an error naming the file, line and column unless
  the model was trained with "missing": "mean" or "zero" in its run config's data (it is then filled
  with the value training used, saved in the model file); ±Infinity and values beyond float32's
  range (1e39, 1e400) are always errors.`;
