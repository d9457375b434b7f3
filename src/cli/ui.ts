/** How a command talks to the user: human lines on a terminal, or one JSON object as the last stdout line. */
export interface Ui {
  json: boolean;
  quiet: boolean;
  /** A human-readable line (suppressed with --json or --quiet; goes to stderr with --json so stdout stays parseable). */
  say(line: string): void;
  /** Progress output goes here only when it is a terminal. */
  progress: NodeJS.WriteStream | null;
  /** The final JSON summary (with --json). */
  result(obj: unknown): void;
}

export function makeUi(opts: { json?: boolean; quiet?: boolean }): Ui {
  const json = opts.json ?? false;
  const quiet = opts.quiet ?? false;
  return {
    json,
    quiet,
    say: (line) => {
      if (!quiet && !json) process.stdout.write(`${line}\n`);
    },
    progress: !quiet && !json && process.stderr.isTTY ? process.stderr : null,
    result: (obj) => {
      if (json) process.stdout.write(`${JSON.stringify(obj)}\n`);
    },
  };
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US");
export const pct = (x: number | undefined): string => (x === undefined ? "–" : `${(100 * x).toFixed(2)}%`);
