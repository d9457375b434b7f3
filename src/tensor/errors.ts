/**
 * Errors that speak to the user. Every mistake a user can make (a bad config key, a ragged CSV row,
 * a truncated model file) is raised as a `HomeostatError` subclass whose message says what was wrong,
 * where (file, line, field, layer) and what was expected. The CLI prints the message and exits with 2;
 * any other exception is a bug in Homeostat.
 */
export interface ErrorLocation {
  /** File the problem was found in. */
  file?: string;
  /** 1-based line number within `file`. */
  line?: number;
  /** Dotted path of a config field (`optimizer.lr`), a CSV column or a header field. */
  field?: string;
  /** Stable layer or parameter name (`2.weight`). */
  layer?: string;
}

export class HomeostatError extends Error {
  readonly location: ErrorLocation;
  constructor(message: string, location: ErrorLocation = {}) {
    super(message);
    this.name = new.target.name;
    this.location = location;
  }
}

/** Tensor shapes that do not fit together. */
export class ShapeError extends HomeostatError {}
/** A run config or an option object with an unknown key, a wrong type or an out-of-range value. */
export class ConfigError extends HomeostatError {}
/** A data file (CSV, IDX) that cannot be read as the format promises. */
export class DataError extends HomeostatError {}
/** A model file or checkpoint that is truncated, corrupted, or of an unsupported version. */
export class ModelFileError extends HomeostatError {}

/** Prefix a message with "file:line: " (or "file: ") when a location is known. */
export function where(loc: ErrorLocation): string {
  if (loc.file && loc.line !== undefined) return `${loc.file}:${loc.line}: `;
  if (loc.file) return `${loc.file}: `;
  return "";
}
