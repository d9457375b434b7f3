/**
 * The `homeostat` command in child processes, run in one fresh working folder per test file: the set-up
 * that cli-commands and cli-refusals share.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeModel } from "../../src/io/model.js";
import { blobsRunConfig } from "./csv.js";
import { tempDir } from "./tmp.js";

/** The compiled CLI entry point. */
export const BIN = fileURLToPath(new URL("../../src/cli/bin.js", import.meta.url));

/** What a command did: its exit code, its output, and its last stdout line parsed (null if not JSON). */
export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, any> | null;
}

/**
 * The small run of these tests: three blobs from `blobs.csv`, standardised, no validation split, 20
 * epochs of Adam into `blobs.hmst`; `over` replaces top-level keys.
 */
export const blobsConfig = (over: Record<string, unknown> = {}): string =>
  blobsRunConfig({
    data: { format: "csv", path: "blobs.csv", target: "label", normalize: "standardize" },
    epochs: 20,
    out: "blobs.hmst",
    ...over,
  });

/** A fresh working folder (removed after the file) and the means to run the CLI in it. */
export function cliSandbox(prefix: string) {
  const dir = tempDir(prefix);

  function run(args: string[], input?: string): CliOutcome {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd: dir,
      encoding: "utf8",
      input,
      timeout: 120_000,
    });
    const lines = r.stdout.trim().split("\n");
    let json: Record<string, any> | null = null;
    try {
      json = JSON.parse(lines[lines.length - 1]);
    } catch {
      json = null;
    }
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
  }

  function write(name: string, content: string | Uint8Array): string {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  }

  /** Each bad input: exit code 2, a message naming where and what, no stack trace, no model written. */
  function expectRefusal(args: string[], pattern: RegExp, input?: string): void {
    const r = run(args, input);
    assert.equal(r.code, 2, `exit code for ${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }

  /** The parameters of a model file in the folder, as plain arrays. */
  function weights(file: string): number[][] {
    return decodeModel(readFileSync(join(dir, file)))
      .model.parameters()
      .map(([, t]) => Array.from(t.data));
  }

  return { dir, run, write, expectRefusal, weights };
}
