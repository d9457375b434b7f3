/**
 * A full disk on demand, for the crash drill: a `LogFs` whose n-th write or n-th fsync fails as a full
 * disk makes it fail (ENOSPC; a write lands half its bytes first, as a short write would), so a test can
 * watch the running service meet a full disk at a moment of its choosing. Test-only: `homeostat live
 * --serve` installs it only when HOMEOSTAT_TEST_LOG_FAULTS is set, says so on standard error, and it is
 * not part of the library's public API.
 */
import { ConfigError } from "../tensor/errors.js";
import type { LogFs } from "./wal.js";

/** The environment variable that plans the failures, e.g. `write:7,fsync:12` (never set in production). */
export const LOG_FAULTS_VARIABLE = "HOMEOSTAT_TEST_LOG_FAULTS";

/** Which calls fail, counted from 1 since the log was opened: writes and fsyncs separately. */
export interface LogFaultPlan {
  write: ReadonlySet<number>;
  fsync: ReadonlySet<number>;
}

/**
 * The plan in `text`: a comma-separated list of `write:N` and `fsync:N`.
 *
 * @example
 * parseLogFaults("write:3,fsync:5").fsync.has(5); // true
 */
export function parseLogFaults(text: string): LogFaultPlan {
  const plan = { write: new Set<number>(), fsync: new Set<number>() };
  for (const item of text.split(",")) {
    const m = /^(write|fsync):([1-9]\d*)$/.exec(item.trim());
    if (!m)
      throw new ConfigError(
        `${LOG_FAULTS_VARIABLE}: "${item}" is not write:N or fsync:N (N ≥ 1, comma-separated)`,
        { field: LOG_FAULTS_VARIABLE },
      );
    plan[m[1] as "write" | "fsync"].add(Number(m[2]));
  }
  return plan;
}

const full = (call: string): Error =>
  Object.assign(new Error(`ENOSPC: no space left on device, ${call} (injected by ${LOG_FAULTS_VARIABLE})`), {
    code: "ENOSPC",
  });

/**
 * `base` with the planned calls failing as on a full disk.
 *
 * @example
 * const fs = faultyLogFs(nodeLogFs, parseLogFaults("write:2")); // the second write fails
 */
export function faultyLogFs(base: LogFs, plan: LogFaultPlan): LogFs {
  let writes = 0;
  let syncs = 0;
  return {
    ...base,
    writeSync(fd, buffer, offset, length, position) {
      if (!plan.write.has(++writes)) return base.writeSync(fd, buffer, offset, length, position);
      // The disk fills part-way: half the bytes land, then no more.
      base.writeSync(fd, buffer, offset, Math.floor(length / 2), position);
      throw full("write");
    },
    fsync(fd) {
      return plan.fsync.has(++syncs) ? Promise.reject(full("fsync")) : base.fsync(fd);
    },
  };
}
