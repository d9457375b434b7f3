/**
 * The `homeostat` command run in this process through main(), for unit tests: its exit code and what
 * it writes to standard error. Standard output is left alone (the test runner reports through it), so
 * the commands run here must print nothing there (--quiet, or errors).
 */
import { main } from "../../src/cli/main.js";

export async function runMain(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = { code: -1, stderr: "" };
  const stderr = process.stderr.write;
  process.stderr.write = ((s: string) => {
    out.stderr += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    out.code = await main(args);
  } finally {
    process.stderr.write = stderr;
  }
  return out;
}
