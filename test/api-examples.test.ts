/**
 * Examples that cannot rot: every @example in the doc comment of a symbol the package exports (and of
 * its members) is written out by scripts/api-docs.mjs as a module that imports what it uses from
 * "homeostat" (or "homeostat/node"), and the lot is compiled with tsc against the built package's
 * types, as a user's code would be. Two canaries that must fail to compile prove the check is real:
 * a config the types refuse, and a Node-only name imported from the root entry.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
// Inside the package (dist/ is ignored), so that "homeostat" resolves to the package itself, by its exports.
const dir = join(root, "dist/api-examples");

const CANARIES: Record<string, string> = {
  "canary-bad-config.ts": 'import { Learner } from "homeostat";\nLearner.create({ task: "clustering" });\n',
  "canary-node-from-root.ts": 'import { serve } from "homeostat";\nconsole.log(serve);\n',
};

function generate(): { stdout: string; examples: { file: string; symbol: string; source: string }[] } {
  const r = spawnSync(process.execPath, ["scripts/api-docs.mjs", "--examples", dir], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const examples = JSON.parse(readFileSync(join(dir, "examples.json"), "utf8"));
  return { stdout: r.stdout, examples };
}

test("every @example of the public API compiles against the package's types", () => {
  const { examples } = generate();
  assert.ok(examples.length >= 100, `only ${examples.length} examples found: is the extraction broken?`);
  for (const [file, code] of Object.entries(CANARIES)) writeFileSync(join(dir, file), code);
  const config = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2022", "DOM"],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
    },
    include: ["*.ts"],
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], {
    cwd: root,
    encoding: "utf8",
  });
  const errors = r.stdout.split("\n").filter((line) => line.includes("error TS"));
  const fileOf = (line: string) => line.replace(/^.*api-examples[\\/]/, "").replace(/\(.*$/, "");
  const bySource = new Map(examples.map((e) => [e.file, `${e.symbol} (${e.source})`]));
  const broken = errors.filter((line) => !(fileOf(line) in CANARIES));
  assert.deepEqual(
    broken.map((line) => `${bySource.get(fileOf(line)) ?? fileOf(line)}: ${line.replace(/^.*error /, "")}`),
    [],
    "examples that no longer compile",
  );
  for (const canary of Object.keys(CANARIES))
    assert.ok(
      errors.some((line) => fileOf(line) === canary),
      `${canary} compiled: the check would not see a broken example`,
    );
  rmSync(dir, { recursive: true, force: true });
});

test("at least 95% of the public symbols have a doc comment", () => {
  const { stdout } = generate();
  const m = stdout.match(/API coverage: (\d+) \/ (\d+)/);
  assert.ok(m, stdout);
  const [documented, total] = [Number(m[1]), Number(m[2])];
  assert.ok(total > 200, `only ${total} public symbols: is the entry list broken?`);
  assert.ok(documented / total >= 0.95, `${documented} / ${total} documented\n${stdout}`);
  rmSync(dir, { recursive: true, force: true });
});
