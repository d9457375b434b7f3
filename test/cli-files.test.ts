/**
 * Every file argument of every subcommand × {missing, a folder, an empty file, unreadable}: a user's
 * mistake is exit code 2 with a message that names the path, never "internal error" or a stack trace,
 * and a refused command writes nothing. Outputs differ where the CLI should simply work (a missing
 * folder is created, an existing file replaced): see MEANING in scripts/cli-file-matrix.mjs, which holds
 * the matrix this test shares with scripts/cli-cases.mjs (the before/after table of issue 14).
 */
import assert from "node:assert/strict";
import { basename } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

interface FileArg {
  arg: string;
  role: "input" | "inputDir" | "output" | "outputDir";
}
interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** The parts of scripts/cli-harness.mjs and cli-file-matrix.mjs this test uses (plain JS, typed here). */
interface Harness {
  FILE_ARGS: FileArg[];
  VARIANTS: string[];
  freshDir(prefix: string): string;
  removeDir(dir: string): void;
  makeFixtures(bin: string, dir: string): void;
  prepareFileCase(
    fixtures: string,
    caseDir: string,
    fileArg: FileArg,
    variant: string,
  ): { args: string[]; path: string; asNobody: boolean };
  meaning(fileArg: FileArg, variant: string): { words: string; exitCode: number };
  runCli(bin: string, args: string[], opts: { cwd: string; asNobody?: boolean }): CliRun;
  snapshot(dir: string): Map<string, string>;
  written(before: Map<string, string>, after: Map<string, string>): string[];
  crashSigns(stderr: string): string[];
}

const BIN = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
// dist/test/ → the checkout's scripts/ (the harness is not compiled: the script runs it as it is).
const script = (name: string): Promise<Record<string, unknown>> =>
  import(new URL(`../../scripts/${name}`, import.meta.url).href);
const h = {
  ...(await script("cli-harness.mjs")),
  ...(await script("cli-file-matrix.mjs")),
} as unknown as Harness;

const fixtures = h.freshDir("cli-files-fixtures");
after(() => h.removeDir(fixtures));
h.makeFixtures(BIN, fixtures);

/** The path itself, a file or folder inside it, or a folder made on the way to it. */
function belongsTo(entry: string, path: string): boolean {
  const p = entry.replace(/ \(changed\)$/, "").replace(/\/$/, "");
  return p === path || p.startsWith(`${path}/`) || path.startsWith(`${p}/`);
}

for (const fileArg of h.FILE_ARGS) {
  test(`${fileArg.arg}: missing, a folder, an empty file, unreadable`, async (t) => {
    for (const variant of h.VARIANTS) {
      await t.test(variant, () => {
        const dir = h.freshDir("cli-files");
        try {
          const { args, path, asNobody } = h.prepareFileCase(fixtures, dir, fileArg, variant);
          const before = h.snapshot(dir);
          const r = h.runCli(BIN, args, { cwd: dir, asNobody });
          const wrote = h.written(before, h.snapshot(dir));
          const { words, exitCode } = h.meaning(fileArg, variant);
          const what = `homeostat ${args.join(" ")} (${fileArg.arg} ${words})`;
          assert.deepEqual(h.crashSigns(r.stderr), [], `${what} crashed:\n${r.stderr}`);
          assert.equal(r.code, exitCode, `${what}: exit code\n${r.stderr}`);
          if (exitCode === 2) {
            assert.ok(
              r.stderr.includes(basename(path)),
              `${what}: the message should name ${path}:\n${r.stderr}`,
            );
            assert.deepEqual(wrote, [], `${what}: a refused command writes nothing`);
          } else {
            assert.ok(
              wrote.length > 0 && wrote.every((f) => belongsTo(f, path)),
              `${what}: wrote ${wrote.join(", ") || "nothing"}; expected ${path} only`,
            );
          }
        } finally {
          h.removeDir(dir);
        }
      });
    }
  });
}
