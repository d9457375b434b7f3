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

/**
 * The base of every error a user's input can cause; `location` says where (file, line, field, layer).
 * The CLI prints its message and exits with code 2.
 */
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

/** Plain words for the file-system error codes a user can cause or fix. */
const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: "disk full",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "a parent path is not a directory",
  EISDIR: "it is a directory",
  EMFILE: "too many open files",
  ENFILE: "too many open files on the system",
  EIO: "input/output error",
  ENAMETOOLONG: "file name too long",
  EBUSY: "file is busy",
  ELOOP: "too many symbolic links",
};

/**
 * Why a file could not be read or written, in plain words with the system's code: "no such file
 * (ENOENT)", "it is a directory (EISDIR)", "permission denied (EACCES)".
 */
export function fileErrorWords(error: unknown, enoentWords = "no such file"): string {
  const code = (error as { code?: unknown } | null)?.code;
  const words =
    code === "ENOENT"
      ? enoentWords
      : typeof code === "string" && Object.hasOwn(ERRNO_WORDS, code)
        ? ERRNO_WORDS[code]
        : error instanceof Error
          ? error.message
          : String(error);
  return typeof code === "string" ? `${words} (${code})` : words;
}
