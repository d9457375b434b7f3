/**
 * A run config that is missing, a folder or not JSON is a user's mistake: `train`, `continual` and
 * `live` say which file and what is wrong, word for word, and exit 2, never with a stack trace. Run
 * in this process through main() (the CLI refusal tests run the same cases as child processes).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runMain } from "./helpers/cli-main.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir("config-file");

test("a --config that is missing or a folder: the file and the reason, exit 2", async () => {
  const missing = join(dir, "nope.json");
  for (const command of ["train", "continual", "live"]) {
    assert.deepEqual(await runMain([command, "--config", missing, "--quiet"]), {
      code: 2,
      stderr: `homeostat: ${missing}: cannot read the run config: no such file (ENOENT)\n`,
    });
  }
  assert.deepEqual(await runMain(["train", "--config", dir, "--quiet"]), {
    code: 2,
    stderr: `homeostat: ${dir}: cannot read the run config: it is a directory (EISDIR)\n`,
  });
});

test("a --config that is not JSON names the file and the line, exit 2", async () => {
  const bad = join(dir, "bad.json");
  writeFileSync(bad, '{\n  "epochs": 3,\n  oops\n}\n');
  // The words in brackets are V8's own, which differ between Node versions.
  const { code, stderr } = await runMain(["train", "--config", bad, "--quiet"]);
  assert.equal(code, 2);
  assert.ok(stderr.startsWith(`homeostat: ${bad}:3: not valid JSON (`) && stderr.endsWith(")\n"), stderr);
  assert.equal(stderr.split("\n").length, 2, "one line, no stack trace");
});

test("a demo that does not exist, even one named like an Object property, is refused by name, exit 2", async () => {
  for (const which of ["nope", "constructor", "toString"])
    assert.deepEqual(await runMain(["demo", which, "--quiet"]), {
      code: 2,
      stderr: `homeostat: unknown demo "${which}"; expected "seed", "mnist" or "cnn"\nRun "homeostat demo --help" for usage.\n`,
    });
});
