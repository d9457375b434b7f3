import { readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { ensureDirectory, writeFileAtomic } from "../io/atomic.js";
import { parseRunRecord } from "../report/parse.js";
import { type RunRecord, stringifyRunRecord } from "../report/record.js";
import { renderReport, type ReportRun } from "../report/render.js";
import { DataError, HomeostatError } from "../tensor/errors.js";
import { UsageError } from "./args.js";
import type { Ui } from "./ui.js";

/** A path as the user would type it: relative to the working directory when inside it. */
function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith("..") ? r : p;
}

/** The run record written beside a model file: `runs/mnist/model.hmst` → `runs/mnist/model.record.json`. */
export function recordPathFor(modelPath: string): string {
  const dir = dirname(modelPath);
  const name = basename(modelPath).replace(/\.[^.]+$/, "");
  return resolve(dir, `${name || "model"}.record.json`);
}

export function writeRunRecord(path: string, record: RunRecord): void {
  ensureDirectory(dirname(path));
  writeFileAtomic(path, new TextEncoder().encode(`${stringifyRunRecord(record)}\n`));
}

/** Read and check a run record; every problem names the file and the field. */
export function readRunRecord(path: string): RunRecord {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const words =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory"
          : (code ?? (e as Error).message);
    throw new DataError(`${displayPath(resolve(path))}: cannot read the run record (${words})`, {
      file: path,
    });
  }
  if (text.trim() === "")
    throw new DataError(`${displayPath(resolve(path))}: not a run record: the file is empty`, { file: path });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DataError(
      `${displayPath(resolve(path))}: not a run record: not valid JSON (${(e as Error).message})`,
      { file: path },
    );
  }
  try {
    return parseRunRecord(raw);
  } catch (e) {
    if (e instanceof HomeostatError)
      throw new DataError(`${displayPath(resolve(path))}: ${e.message}`, { ...e.location, file: path });
    throw e;
  }
}

/** Labels for the legend: the record's own label, else its file name, else its path where names collide. */
function labels(paths: readonly string[], records: readonly RunRecord[]): string[] {
  const names = paths.map((p, i) => records[i].label ?? basename(p).replace(/(\.record)?\.json$/, ""));
  if (names.length === 2 && names[0] === names[1])
    return paths.map((p) => relative(process.cwd(), resolve(p)) || p);
  return names;
}

/** Render records to one self-contained HTML file; returns its path. */
export function writeReport(out: string, paths: readonly string[], records: readonly RunRecord[]): string {
  const runs: ReportRun[] = records.map((record, i) => ({ label: labels(paths, records)[i], record }));
  const html = renderReport(runs);
  ensureDirectory(dirname(resolve(out)));
  writeFileAtomic(resolve(out), new TextEncoder().encode(html));
  return resolve(out);
}

/** `--out` must name an HTML file: a folder (or a path ending in a separator) cannot be written as one. */
function checkReportTarget(out: string): void {
  let folder = /[\\/]$/.test(out);
  try {
    folder ||= statSync(out).isDirectory();
  } catch {
    // Missing (to be created) or unreachable: writing it says why.
  }
  if (folder)
    throw new UsageError(
      `--out ${out}: is a folder; expected the path of an HTML file, such as ${join(out, "report.html")}`,
    );
  if (!/\.html?$/i.test(out))
    throw new UsageError(`--out ${out}: expected the path of an HTML file (ending in .html)`);
}

/** `homeostat report RECORD [RECORD2] [--out FILE.html]`. */
export function runReportCommand(files: readonly string[], out: string | undefined, ui: Ui): void {
  if (files.length === 0)
    throw new UsageError(
      "report needs a run record: homeostat report RECORD.json [RECORD2.json] --out report.html",
    );
  if (files.length > 2) throw new UsageError(`report compares at most two runs, got ${files.length} files`);
  const started = performance.now();
  const records = files.map(readRunRecord);
  if (out !== undefined) checkReportTarget(out);
  const target = out ?? files[0].replace(/(\.json)?$/, ".html");
  const path = writeReport(target, files, records);
  const bytes = readFileSync(path).length;
  ui.say(
    `report written to ${displayPath(path)} (${(bytes / 1024).toFixed(0)} KiB, ${((performance.now() - started) / 1000).toFixed(2)} s)`,
  );
  ui.result({ command: "report", records: files.map((f) => resolve(f)), report: path, bytes });
}
